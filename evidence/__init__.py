"""evidence: a media-evidence catalogue for open-source investigators.

The command line is `evidence`; this is the package face for scripts and notebooks::

    import evidence

    with evidence.create_catalogue("case") as catalogue:  # or evidence.open_catalogue("case")
        added = evidence.add(catalogue, ["clip.mp4"], source_url="https://example.org/post/1")
        copies = evidence.match(catalogue, "reupload.mp4").matches
        assert evidence.verify(catalogue).ok

Each function is the use case its command runs (same checks, same custody events). Errors are
`evidence.errors.EvidenceError` subclasses with a message and an exit code. What these functions need is
imported when they are first called, so `import evidence` stays light (the analysis worker imports it).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

try:
    __version__ = version("evidence")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

TOOL_NAME = "evidence"

if TYPE_CHECKING:
    from evidence.catalogue.provenance import Provenance
    from evidence.ingest.add import AddReport
    from evidence.ingest.capture import CaptureResult
    from evidence.integrity.verify import VerifyReport
    from evidence.matching.match import FileMatch
    from evidence.workspace import Workspace

__all__ = ["add", "capture", "create_catalogue", "match", "open_catalogue", "provenance", "verify"]

Pathish = str | PathLike[str]


def open_catalogue(path: Pathish | None = None) -> Workspace:
    """The catalogue at `path` (a folder holding `.evidence`, or the `.evidence` folder itself; default:
    found from the working directory upward, or `EVIDENCE_CATALOGUE`). Use it in a `with` block."""
    from evidence.workspace import open_workspace

    return open_workspace(None if path is None else Path(path))


def create_catalogue(folder: Pathish, *, database_url: str | None = None) -> Workspace:
    """Create `folder/.evidence` (as `evidence init`; an existing catalogue is kept) and open it."""
    from evidence.workspace import init_workspace, open_workspace

    made = init_workspace(Path(folder) / ".evidence", database_url=database_url)
    return open_workspace(made.root)


def add(
    catalogue: Workspace,
    paths: list[Pathish],
    *,
    source_url: str | None = None,
    posted_at: str | None = None,
    claimed_by: str | None = None,
    collected_by: str | None = None,
    note: str | None = None,
    analyse: bool = True,
    match: bool = True,
    actor: str | None = None,
) -> AddReport:
    """Preserve files and folders exactly, record where they came from, analyse and match them (as
    `evidence add`). `posted_at` is ISO-8601 with a timezone, or a date."""
    from evidence.core.timeutil import parse_instant
    from evidence.errors import UsageError
    from evidence.ingest.add import AddOptions, add_paths
    from evidence.workspace import default_actor

    try:
        instant = parse_instant(posted_at) if posted_at else None
    except ValueError as exc:
        raise UsageError(f"posted_at: {exc}") from None
    options = AddOptions(
        source_url=source_url,
        posted_at=instant,
        claimed_by=claimed_by,
        collected_by=collected_by,
        note=note,
        analyse=analyse,
        match=match,
        actor=actor or default_actor(),
    )
    return add_paths(catalogue, [Path(p) for p in paths], options)


def capture(
    catalogue: Workspace,
    urls: list[str],
    *,
    collected_by: str | None = None,
    note: str | None = None,
    screenshot: bool = True,
    analyse: bool = True,
    match: bool = True,
    actor: str | None = None,
) -> list[CaptureResult]:
    """Capture links as `evidence capture` does: the page as served (WACZ), a screenshot, the platform's
    metadata and every media file of the post, each preserved; one result a link."""
    from evidence.analysis.worker import Worker
    from evidence.ingest.capture import CaptureOptions, capture_urls
    from evidence.ingest.web.gather import Limits
    from evidence.workspace import default_actor

    options = CaptureOptions(
        collected_by=collected_by,
        note=note,
        limits=Limits(screenshot=screenshot),
        analyse=analyse,
        match=match,
        actor=actor or default_actor(),
    )
    with Worker() as worker:
        return capture_urls(catalogue, list(urls), options, worker=worker)


def match(catalogue: Workspace, path: Pathish) -> FileMatch:
    """The catalogued near duplicates of a file that is not added; nothing is written (`evidence match`)."""
    from evidence.matching.match import match_file

    return match_file(catalogue, Path(path))


def verify(catalogue: Workspace, *, deep: bool = False, actor: str | None = None) -> VerifyReport:
    """Re-hash every object, re-walk the custody chain, compare every record with its events; with
    `deep`, also re-derive the analysis from the originals (`evidence verify`). Logs a fixity event."""
    from evidence.integrity.verify import verify as run_verify
    from evidence.workspace import default_actor

    return run_verify(catalogue, actor=actor or default_actor(), deep=deep)


def provenance(catalogue: Workspace, ref: str) -> Provenance:
    """Where an item comes from: its copies, the earliest known, claims, tags, custody events and the
    fixity of every copy (`evidence provenance`). `ref` is an id or a sha256 prefix."""
    from evidence.browse.provenance import provenance as gather

    return gather(catalogue, ref)
