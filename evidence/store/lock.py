"""The store's writers' lock (`store/lock`), a `flock` on one file.

Writers hold it shared from their first temp file until their process ends, so past the catalogue
commit that records what they published; `evidence fsck` takes it exclusively and so never mistakes
work in progress (a temp file being written, an object published a moment before its commit) for a
leftover. A process opens the file once per store and shares that open description among all its
store objects: a flock held through one description never conflicts with another use of it, so a
process never waits for itself.
"""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from evidence.errors import EnvironmentFailure

_NOT_WRITABLE = (errno.EROFS, errno.EACCES, errno.EPERM)


class LockFile:
    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.users = 0
        self.mode = 0  # 0 (none), fcntl.LOCK_SH or fcntl.LOCK_EX


_OPEN: dict[str, LockFile] = {}


def join(path: Path) -> LockFile:
    """This process's description of the lock file (created if need be); raises OSError."""
    key = os.path.realpath(path)
    held = _OPEN.get(key)
    if held is None:
        try:
            fd = os.open(key, os.O_RDONLY)
        except FileNotFoundError:
            fd = os.open(key, os.O_RDONLY | os.O_CREAT, 0o644)
        held = _OPEN[key] = LockFile(fd)
    held.users += 1
    return held


def leave(path: Path) -> None:
    """One user fewer; the last one closes the description, which releases the lock."""
    key = os.path.realpath(path)
    held = _OPEN.get(key)
    if held is None:
        return
    held.users -= 1
    if held.users <= 0:
        del _OPEN[key]
        os.close(held.fd)


def share(path: Path) -> None:
    """Join as a writer (the caller calls `leave` when done), waiting while someone holds it
    exclusively; raises OSError."""
    held = join(path)
    if held.mode == 0:
        try:
            fcntl.flock(held.fd, fcntl.LOCK_SH)
        except BaseException:
            leave(path)
            raise
        held.mode = fcntl.LOCK_SH


@contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold the lock alone, or refuse at once (exit 4) while another process writes. A store nobody
    can write to (read-only, or not ours) needs no lock and is checked as it is."""
    try:
        held: LockFile | None = join(path)
    except OSError as exc:
        if exc.errno not in _NOT_WRITABLE:
            raise EnvironmentFailure(f"cannot lock the evidence store: {exc.strerror}") from exc
        held = None
    if held is None:
        yield
        return
    before = held.mode
    try:
        try:
            fcntl.flock(held.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if before:
                fcntl.flock(held.fd, before)  # a failed conversion may have dropped ours
            raise EnvironmentFailure(
                "another evidence command is adding or analysing files in this catalogue; "
                "run this again when it has finished"
            ) from None
        held.mode = fcntl.LOCK_EX
        try:
            yield
        finally:
            held.mode = fcntl.LOCK_SH if held.users > 1 else 0
            fcntl.flock(held.fd, held.mode or fcntl.LOCK_UN)
    finally:
        leave(path)
