"""The S3 store's download cache: local copies of objects for decoders, `cache/<area>/<sha256>`, each
checked against its SHA-256 as it is downloaded (into a temp file `cache/dl-*`, then `os.replace`), kept
within `EVIDENCE_CACHE_MAX_BYTES` (default 20 GiB) by evicting the least recently used copies.

Recency is a copy's mtime, set when it is downloaded and again on every hit. Callers get a path that
they, or a decoder process they start, open later and perhaps several times (an analysis reopens its
file for each pass, for hours on a long video). Several processes of the machine share the folder: a
worker's pool processes and `evidence serve`. So a copy is removed only when all of these hold:

- it is not the copy just downloaded, which is being returned to the caller;
- it was last handed out more than `GRACE` (an hour) ago, so a path that was just returned is still
  there when its caller opens it, even after the same process has handed out other paths;
- no process holds a shared `flock` on it. Each process keeps one on the last `HOLD` (4) copies it
  handed out, drops the oldest when it takes a new one, and loses them all when it ends. So an
  analysis that reopens its file keeps it however long it runs, unless its process hands out four
  other copies meanwhile (a worker's process analyses one item at a time). The evicting process removes
  a copy only if it gets `LOCK_EX | LOCK_NB` on it. On Linux, `flock` locks on different open
  descriptions conflict, even inside one process.

Unlinking a copy does not harm a reader that already has it open. Two operations hold the folder's
lock shared: a hit (check, touch, lock) and putting a download in place. The lock is a `flock` on the
`cache/` folder itself. An eviction (list, lock, unlink) holds it exclusively, so a copy cannot be
chosen for removal between being found and being locked. Eviction runs after each download. When
everything else is in use, the cache goes over its bound by those copies, because a download always
succeeds. Temp files of downloads that died (untouched for a day) are removed then too.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from evidence.core.text import printable
from evidence.errors import IntegrityFailure, UsageError
from evidence.store.base import DERIVED, OBJECTS
from evidence.store.files import environment_error

ENV_CACHE_MAX_BYTES = "EVIDENCE_CACHE_MAX_BYTES"
DEFAULT_MAX_BYTES = 20 << 30
GRACE = 3600.0  # seconds since a copy was last handed out during which it is never removed
HOLD = 4  # copies each process keeps a shared lock on: the last ones it handed out
STALE_TEMP = 86400.0  # a download's temp file untouched for this long belongs to a process that died
TEMP = "dl-"
READ_ONLY = 0o444
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_SIZE = re.compile(r"(\d+)\s*(?:([KMGT])(?:I?B)?|B)?", re.IGNORECASE)
_HEX = re.compile(r"[0-9a-f]{64}")

Download = Callable[[Callable[[bytes], object]], str]  # passes the object's bytes to `write`; its SHA-256
_held: dict[str, int] = {}  # this process's shared locks on copies, by path, oldest first
_held_lock = threading.Lock()  # `evidence serve` hands out paths from several threads


def max_bytes_from_env() -> int:
    """`EVIDENCE_CACHE_MAX_BYTES`: bytes, or with K, M, G or T (powers of 1024); a UsageError if bad."""
    given = os.environ.get(ENV_CACHE_MAX_BYTES, "").strip()
    if not given:
        return DEFAULT_MAX_BYTES
    parsed = _SIZE.fullmatch(given)
    if parsed is None:
        raise UsageError(
            f"{ENV_CACHE_MAX_BYTES}={printable(given)} is not a size: give the download cache's bound "
            "in bytes, or with K, M, G or T (powers of 1024), e.g. 20G"
        )
    return int(parsed[1]) * _UNITS[(parsed[2] or "").upper()]


class DownloadCache:
    def __init__(self, folder: Path, max_bytes: int, *, grace: float = GRACE) -> None:
        self.folder, self.max_bytes, self.grace = folder, max_bytes, grace

    def fetch(self, area: str, sha256: str, size: int, download: Download) -> Path:
        """The copy of an object of `size` bytes: reused, or fetched by `download(write)` (which passes
        the bytes to `write` and returns their SHA-256), checked, then put in place."""
        cached = self.folder / area / sha256
        try:
            with self._locked(fcntl.LOCK_SH):
                if self._reuse(cached, size):
                    return cached
            cached.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.folder, prefix=TEMP) as out:
                actual = download(out.write)
                if actual != sha256:
                    raise IntegrityFailure(f"object {sha256} has changed: its bytes now hash to {actual}")
                out.flush()
                os.chmod(out.name, READ_ONLY)
                with self._locked(fcntl.LOCK_SH):
                    os.replace(out.name, cached)
                    _touch(cached)
                    _hold(cached)
            self._evict(keep=cached)
        except OSError as exc:
            raise environment_error(exc, "copying an object into the catalogue's cache") from exc
        return cached

    @contextlib.contextmanager
    def _locked(self, mode: int) -> Iterator[None]:
        """The folder's lock: shared for hits and for putting copies in place, exclusive to evict."""
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY)  # the folder itself: no file to leave
        try:
            fcntl.flock(fd, mode)
            yield
        finally:
            os.close(fd)  # releases the lock

    def _reuse(self, cached: Path, size: int) -> bool:
        """A hit: the copy is there with the object's size; marked used now and locked by us."""
        try:
            found = os.stat(cached)
        except FileNotFoundError:
            return False
        if not stat.S_ISREG(found.st_mode) or found.st_size != size:
            return False
        try:
            _touch(cached)
        except PermissionError:  # another account's copy, whose recency we cannot mark: download ours
            return False
        _hold(cached)
        return True

    def _evict(self, keep: Path) -> None:
        """Remove the least recently used copies nobody uses until the rest fit within the bound."""
        with self._locked(fcntl.LOCK_EX):
            now = time.time_ns()
            for used, _, path in _files(self.folder, lambda name: name.startswith(TEMP)):
                if now - used > STALE_TEMP * 1e9:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(path)
            copies = [
                found for area in (OBJECTS, DERIVED) for found in _files(self.folder / area, _HEX.fullmatch)
            ]
            total = sum(size for _, size, _ in copies)
            for used, size, path in sorted(copies):
                if total <= self.max_bytes:
                    break
                if path != keep and now - used >= self.grace * 1e9 and _remove_unused(path):
                    total -= size


def _files(folder: Path, wanted: Callable[[str], object]) -> list[tuple[int, int, Path]]:
    """(mtime in ns, size, path) of the regular files of `folder` whose names are `wanted`."""
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [
        (info.st_mtime_ns, info.st_size, Path(entry.path))
        for entry in entries
        if wanted(entry.name) and entry.is_file(follow_symlinks=False)
        for info in [entry.stat(follow_symlinks=False)]
    ]


def _touch(path: Path) -> None:
    """Mark a copy used now (to the nanosecond: the order of uses is the order of eviction)."""
    now = time.time_ns()
    os.utime(path, ns=(now, now))


def _hold(path: Path) -> None:
    """Take a shared lock on a copy this process hands out, and drop the oldest beyond HOLD."""
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
    except BaseException:
        os.close(fd)
        raise
    with _held_lock:
        before = _held.pop(str(path), None)  # an earlier lock on this path (perhaps on an older copy)
        _held[str(path)] = fd
        if before is not None:
            os.close(before)
        while len(_held) > HOLD:
            os.close(_held.pop(next(iter(_held))))


def _remove_unused(path: Path) -> bool:
    """Remove a copy unless a process holds a lock on it (True when it is gone)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return True
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        return True
    finally:
        os.close(fd)
