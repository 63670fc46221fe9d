"""Named points where tests can make the tool fail or die abruptly.

`checkpoint(name)` does nothing in normal use. Tests either monkeypatch it to raise, or set
`EVIDENCE_TEST_CRASH_AT=<name>` so that the process dies at once (no cleanup, no finally blocks),
as it would on a power cut or a kill -9.
"""

from __future__ import annotations

import os

ENV_CRASH_AT = "EVIDENCE_TEST_CRASH_AT"
CRASH_EXIT = 86


def checkpoint(name: str) -> None:
    if os.environ.get(ENV_CRASH_AT) == name:
        os._exit(CRASH_EXIT)


ENV_HANG_AT = "EVIDENCE_TEST_HANG_AT"


def hang_point(name: str) -> None:
    """Block forever when `EVIDENCE_TEST_HANG_AT=<name>`: tests use it to prove time limits work."""
    if os.environ.get(ENV_HANG_AT) == name:
        import time

        while True:
            time.sleep(3600)
