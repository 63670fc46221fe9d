"""Named points where tests can make the tool fail or die abruptly.

`checkpoint(name)` does nothing in normal use. Tests either monkeypatch it to raise, or set
`EVIDENCE_TEST_CRASH_AT=<name>` so that the process dies at once (no cleanup, no finally blocks),
as it would on a power cut or a kill -9, or set `EVIDENCE_TEST_FAIL_AT=<name>:<ERRNO>` (for example
`copy:ENOSPC`, `publish:EROFS`) so that the point raises the OSError the operating system would
raise when the disk is full or the store is read-only, or set `EVIDENCE_TEST_PAUSE_AT=<name>:<file>` to
hold the command at the point until `<file>` exists.

The points, in the order an `evidence add` meets them:

  preflight        source opened and checked, room checked; nothing written yet
  tmp              just before the temp file in store/tmp is created (a failing open)
  write            just before each chunk is written to the temp file (the first one: a failing write)
  copy             in the middle of streaming the bytes into store/tmp (after every chunk)
  fsync            the temp copy is complete and on disk
  publish          just before the temp copy is linked to its content address
  published        linked under objects/, temp name not yet removed, nothing catalogued
  commit           inside the catalogue transaction, before it commits
  committed        the item and acquisition are committed; analysis has not started
  probed           analysis: the worker's probe has returned (parent)
  media            analysis, in the worker: before it returns frames (the parent sees a crashed worker)
  frames           analysis: frames and thumbnails received, before the analysis transaction
  index            analysis: frames and the similarity index rows written, not committed
  analysis-commit  analysis: the transaction is complete but not committed
  suggest          analysis committed; the matcher's relation suggestions are not yet recorded

A queued job (`ingest/queued.py`, in `evidence worker`) meets two more, outside `POINTS` (they are not
on the path of `evidence add`): `job-taken` (the job's row says running on this worker; nothing else
done), `job-analysed` (the analysis recorded, the lookup not run) and `job-matched` (analysed and
looked up; the row not yet done); and `probed`, `media`, `frames`, `index` and `analysis-commit`
before `job-analysed`.

The thumbnails an analysis stores (`LocalStore.put_bytes`) meet `tmp`, `write`, `fsync` and `publish`
too, after the original's copy has met them. In an S3 bucket (`store/s3.py`) an original's upload meets
`preflight`, `copy`, `fsync`, `publish` and `published`, and a thumbnail `publish` and `published`.
"""

from __future__ import annotations

import errno
import os

ENV_CRASH_AT = "EVIDENCE_TEST_CRASH_AT"
ENV_FAIL_AT = "EVIDENCE_TEST_FAIL_AT"
CRASH_EXIT = 86

POINTS = (
    "preflight",
    "tmp",
    "write",
    "copy",
    "fsync",
    "publish",
    "published",
    "commit",
    "committed",
    "probed",
    "media",
    "frames",
    "index",
    "analysis-commit",
    "suggest",
)


def checkpoint(name: str) -> None:
    _pause(name)
    if os.environ.get(ENV_CRASH_AT) == name:
        os._exit(CRASH_EXIT)
    fail = os.environ.get(ENV_FAIL_AT)
    if fail:
        point, _, code_name = fail.partition(":")
        if point == name:
            code = getattr(errno, code_name or "EIO", errno.EIO)
            raise OSError(code, os.strerror(code))


ENV_PAUSE_AT = "EVIDENCE_TEST_PAUSE_AT"


def _pause(name: str) -> None:
    """With `EVIDENCE_TEST_PAUSE_AT=<name>:<file>`, stop at the point: create `<file>.paused`, then wait
    until `<file>` exists. Tests use it to hold a command exactly between two steps."""
    point, _, release = os.environ.get(ENV_PAUSE_AT, "").partition(":")
    if point != name or not release:
        return
    import time

    with open(release + ".paused", "w"):
        pass
    while not os.path.exists(release):
        time.sleep(0.01)


ENV_HANG_AT = "EVIDENCE_TEST_HANG_AT"


def hang_point(name: str) -> None:
    """Block forever when `EVIDENCE_TEST_HANG_AT=<name>`: tests use it to prove time limits work."""
    if os.environ.get(ENV_HANG_AT) == name:
        import time

        while True:
            time.sleep(3600)
