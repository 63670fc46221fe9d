"""Entry point: `evidence` (the command-line contract is in docs/architecture.md)."""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn

# importing the command modules registers their commands
from evidence.cli import capture, ingest, matching, serve, setup, users, worker  # noqa: F401
from evidence.cli.annotation import cases, claims, tags, terms  # noqa: F401
from evidence.cli.app import app
from evidence.cli.browse import frames, items, provenance, search, text  # noqa: F401
from evidence.cli.exports import hashes, records, report  # noqa: F401
from evidence.cli.integrity import anchor, fsck, verify  # noqa: F401


def run() -> None:
    """The `evidence` command. Once it is done (its output written, the catalogue closed), the process
    ends without tearing its interpreter down module by module, which took about 0.2 s of every
    command (`bench/ingest.py`); the exit handlers still run and the streams are flushed first."""
    try:
        app()
    except SystemExit as done:
        _leave(done.code)
    _leave(0)


def _leave(code: object) -> NoReturn:
    """Exit as `sys.exit(code)` would, without the interpreter's teardown."""
    if isinstance(code, str):
        print(code, file=sys.stderr)
        status = 1
    else:
        status = code if isinstance(code, int) else (0 if code is None else 1)
    threading._shutdown()  # type: ignore[attr-defined]  # what the interpreter does first: stop the
    # executors' threads and wait for every non-daemon thread
    atexit._run_exitfuncs()  # logging's shutdown, weakref finalizers (temporary folders), ...
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`| head`) or stream: nothing more can be said
            status = status or 120  # what Python's own exit gives when flushing stdout fails
    os._exit(status)


if __name__ == "__main__":
    run()
