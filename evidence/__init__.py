"""evidence: a media-evidence catalogue for open-source investigators."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("evidence")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

TOOL_NAME = "evidence"
