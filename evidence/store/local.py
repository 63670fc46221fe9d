"""A content-addressed object store on the local filesystem.

Layout under the store root:
  objects/<aa>/<bb>/<sha256>   originals, written once, mode 0444, never overwritten
  derived/<aa>/<bb>/<sha256>   things the tool made (thumbnails, sheets), kept apart from originals
  tmp/                         in-flight copies; a leftover here is recoverable, never trusted
  orphans/<sha256>             objects `evidence fsck --repair` found published but never catalogued
  lock                         the writers' lock (see evidence/store/lock.py)
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import tempfile
import weakref
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO

from evidence import faults
from evidence.errors import EnvironmentFailure, InputRefused, IntegrityFailure
from evidence.store import lock
from evidence.store.base import OBJECTS, Leftover, ObjectFile, ObjectState, Stored, object_name
from evidence.store.files import (
    CHUNK,
    ProgressFn,
    changed_since,
    check_room,
    environment_error,
    hash_path,
    open_regular,
    shown_path,
)

READ_ONLY = 0o444


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class LocalStore:
    shared = False  # one machine's folder: the writers' lock (store/lock.py) keeps fsck apart

    def __init__(self, root: Path) -> None:
        self.root = root
        self.objects = root / "objects"
        self.derived = root / "derived"
        self.tmp = root / "tmp"
        self.orphans = root / "orphans"
        self.lock_path = root / "lock"
        self._writing = False

    def create(self) -> None:
        for directory in (self.objects, self.derived, self.tmp):
            directory.mkdir(parents=True, exist_ok=True)

    @property
    def where(self) -> str:
        return str(self.root)

    def path_for(self, sha256: str, area: str = OBJECTS) -> Path:
        """The object's file (this backend only; code that works with any store reads through the
        `ObjectStore` methods)."""
        return self.root / object_name(sha256, area)

    def has(self, sha256: str, area: str = OBJECTS) -> bool:
        return self.path_for(sha256, area).is_file()

    # -- the writers' lock ---------------------------------------------------------------------------

    def _start_writing(self) -> None:
        """Hold the store's lock shared from the first write until this store object is gone (the
        process ends), waiting while `evidence fsck` holds it."""
        if not self._writing:
            try:
                lock.share(self.lock_path)
            except OSError as exc:
                raise environment_error(exc, "preparing to write") from exc
            weakref.finalize(self, lock.leave, self.lock_path)
            self._writing = True

    def others_writing(self) -> bool:
        """Whether another process holds the writers' lock now: it may have temp copies in progress
        and objects published a moment before its catalogue commit."""
        try:
            with self.exclusive():
                return False
        except EnvironmentFailure:
            return True

    def exclusive(self) -> AbstractContextManager[None]:
        """No other process writes to the store while this is held; refuses at once when one is."""
        return lock.exclusive(self.lock_path)

    # -- writing -----------------------------------------------------------------------------------

    def put_file(
        self, source: Path, *, progress: ProgressFn | None = None, identity: tuple[int, int] | None = None
    ) -> Stored:
        """Copy a regular file into the store (the ingest path in docs/architecture.md, step 2); with
        `identity` (device, inode) the file opened must be the one that was listed."""
        fd = open_regular(source, identity=identity)
        try:
            before = os.fstat(fd)
            if before.st_size == 0:
                raise InputRefused(f"{shown_path(source)}: empty file (0 bytes), nothing to preserve")
            self._check_room(before.st_size)
            try:
                faults.checkpoint("preflight")
            except OSError as exc:
                raise environment_error(exc, "preparing the copy") from exc
            self._start_writing()
            tmp_path, digest, copied = self._copy_to_tmp(fd, progress)
            after = os.fstat(fd)
        finally:
            os.close(fd)
        try:
            if copied != before.st_size or changed_since(before, after):
                raise InputRefused(
                    f"{shown_path(source)}: the file changed while it was being copied; "
                    "add it again once it is complete"
                )
            existed = self._publish(tmp_path, digest, copied, area="objects")
        finally:
            _discard(tmp_path)
        return Stored(sha256=digest, size=copied, existed=existed, mtime_ns=before.st_mtime_ns)

    def put_bytes(self, data: bytes, area: str = "derived") -> str:
        """Store bytes the tool made itself; returns their sha256."""
        digest = hashlib.sha256(data).hexdigest()
        if self.path_for(digest, area).is_file():
            return digest
        self._start_writing()
        try:
            faults.checkpoint("tmp")
            fd, name = tempfile.mkstemp(dir=self.tmp, prefix="put-")
        except OSError as exc:
            raise environment_error(exc, "creating a file in the evidence store") from exc
        tmp_path = Path(name)
        try:
            with os.fdopen(fd, "wb") as handle:
                faults.checkpoint("write")
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
                faults.checkpoint("fsync")
            self._publish(tmp_path, digest, len(data), area=area)
        except OSError as exc:
            raise environment_error(exc, "writing to the evidence store") from exc
        finally:
            _discard(tmp_path)
        return digest

    def _check_room(self, size: int) -> None:
        check_room(
            self.tmp, size, where="in the evidence store", advice="free some space and run the command again"
        )

    def _copy_to_tmp(self, fd: int, progress: ProgressFn | None) -> tuple[Path, str, int]:
        hasher = hashlib.sha256()
        copied = 0
        try:
            faults.checkpoint("tmp")
            out_fd, name = tempfile.mkstemp(dir=self.tmp, prefix="in-")
        except OSError as exc:
            raise environment_error(exc, "creating a file in the evidence store") from exc
        tmp_path = Path(name)
        try:
            with os.fdopen(out_fd, "wb") as out:
                while True:
                    try:
                        chunk = os.read(fd, CHUNK)
                    except OSError as exc:
                        raise InputRefused(f"cannot read the file: {exc.strerror}") from exc
                    if not chunk:
                        break
                    hasher.update(chunk)
                    faults.checkpoint("write")
                    out.write(chunk)
                    copied += len(chunk)
                    faults.checkpoint("copy")
                    if progress is not None:
                        progress(len(chunk))
                out.flush()
                os.fsync(out.fileno())
                faults.checkpoint("fsync")
        except OSError as exc:
            _discard(tmp_path)
            raise environment_error(exc, "copying into the evidence store") from exc
        except BaseException:
            _discard(tmp_path)
            raise
        return tmp_path, hasher.hexdigest(), copied

    def _publish(self, tmp_path: Path, digest: str, size: int, *, area: str) -> bool:
        """Link the temp file to its content address, read-only. True if it was already there."""
        target = self.path_for(digest, area)
        try:
            os.chmod(tmp_path, READ_ONLY)
            target.parent.mkdir(parents=True, exist_ok=True)
            faults.checkpoint("publish")
            try:
                os.link(tmp_path, target)
            except FileExistsError:
                held = target.stat().st_size
                if held != size:
                    raise IntegrityFailure(
                        f"the stored object {digest} has {held} bytes, expected {size}: "
                        "the store was altered; run `evidence verify`"
                    ) from None
                return True
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
                    raise
                # filesystems without hard links: rename, but never over an existing object
                if target.exists():
                    return True
                os.rename(tmp_path, target)
            _fsync_dir(target.parent)
            faults.checkpoint("published")
        except OSError as exc:
            raise environment_error(exc, "publishing into the evidence store") from exc
        return False

    # -- reading -----------------------------------------------------------------------------------

    def read_bytes(self, sha256: str, area: str = OBJECTS) -> bytes:
        return self.path_for(sha256, area).read_bytes()

    def open(self, sha256: str, area: str = OBJECTS) -> BinaryIO:
        return open(self.path_for(sha256, area), "rb")

    def local_file(self, sha256: str, area: str = OBJECTS) -> Path:
        path = self.path_for(sha256, area)
        if not path.is_file():
            raise IntegrityFailure(f"object {sha256} is missing from the store; run `evidence verify`")
        return path

    def location(self, sha256: str, area: str = OBJECTS) -> str:
        return str(self.path_for(sha256, area))

    def hash_object(self, sha256: str, *, area: str = OBJECTS, progress: ProgressFn | None = None) -> str:
        return hash_path(self.path_for(sha256, area), progress=progress)

    def state(self, sha256: str, area: str = OBJECTS) -> ObjectState | None:
        try:
            st = os.lstat(self.path_for(sha256, area))
        except FileNotFoundError:
            return None
        return ObjectState(size=st.st_size, regular=stat.S_ISREG(st.st_mode), mode=stat.S_IMODE(st.st_mode))

    def fixity(self, sha256: str) -> str | None:
        """Re-hash a preserved original: None when its bytes still hash to its name, else what is wrong."""
        try:
            actual = self.hash_object(sha256)
        except OSError as exc:
            return f"object {sha256} cannot be read: {exc.strerror}"
        if actual != sha256:
            return f"object {sha256} has changed: its bytes now hash to {actual}"
        return None

    def iter_objects(self, area: str = OBJECTS, *, settled: bool = False) -> Iterator[ObjectFile]:
        """Every file under the area (`settled` changes nothing here: fsck holds the writers' lock)."""
        base = self.root / area
        if not base.is_dir():
            return
        for path in sorted(base.rglob("*")):
            if path.is_file() or path.is_symlink():
                regular = path.is_file() and not path.is_symlink()
                yield ObjectFile(path.name, path.relative_to(self.root).as_posix(), area, regular)

    def leftovers(self) -> list[Leftover]:
        if not self.tmp.is_dir():
            return []
        found = []
        for path in sorted(self.tmp.iterdir()):
            regular = path.is_file() and not path.is_symlink()
            size = path.stat().st_size if regular else 0
            found.append(Leftover(f"tmp/{path.name}", size, path.name.startswith("put-"), regular))
        return found

    def orphan_names(self) -> list[str]:
        if not self.orphans.is_dir():
            return []
        return sorted(f"orphans/{p.name}" for p in self.orphans.iterdir())

    def orphan_holds(self, sha256: str) -> bool:
        orphan = self.orphans / sha256
        try:
            return orphan.is_file() and hash_path(orphan) == sha256
        except OSError:
            return False

    # -- repairs (`evidence fsck --repair`; callers hold `exclusive()`) --------------------------------

    def quarantine(self, found: ObjectFile) -> str:
        """Move a published object that nothing catalogues to orphans/, keeping it (never deleted,
        never overwriting another orphan). Returns where it now is, relative to the store."""
        path, sha256 = self.root / found.name, found.sha256
        try:
            self.orphans.mkdir(exist_ok=True)
            target = self.orphans / sha256
            n = 0
            while True:
                try:
                    os.link(path, target)
                    break
                except FileExistsError:
                    n += 1
                    target = self.orphans / f"{sha256}.{n}"
            os.unlink(path)
            _fsync_dir(self.orphans)
            _fsync_dir(path.parent)
        except OSError as exc:
            raise environment_error(exc, "moving an object to store/orphans") from exc
        return target.relative_to(self.root).as_posix()

    def restore(self, sha256: str) -> None:
        """Put a verified orphan back at its content address (the catalogue records it)."""
        orphan, target = self.orphans / sha256, self.path_for(sha256)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(orphan, target)
            os.chmod(target, READ_ONLY)
            os.unlink(orphan)
            _fsync_dir(target.parent)
        except OSError as exc:
            raise environment_error(exc, "restoring an object from store/orphans") from exc

    def make_read_only(self, sha256: str, area: str = OBJECTS) -> None:
        try:
            os.chmod(self.path_for(sha256, area), READ_ONLY)
        except OSError as exc:
            raise environment_error(exc, "making a stored object read-only") from exc

    def remove_leftover(self, leftover: Leftover) -> str | None:
        """Remove an unfinished copy from tmp/ (never anything outside it); returns its bytes' SHA-256."""
        path = self.root / leftover.name
        if path.parent != self.tmp or not leftover.name.startswith("tmp/"):
            raise ValueError(f"{leftover.name} is not in the store's tmp folder")
        try:
            digest = hash_path(path) if leftover.regular else None
            path.unlink(missing_ok=True)
            _fsync_dir(self.tmp)
        except OSError as exc:
            raise environment_error(exc, "removing an unfinished copy") from exc
        return digest


def _discard(tmp_path: Path) -> None:
    """Remove a temp file of ours; one that cannot be removed is left for `evidence fsck --repair`."""
    with contextlib.suppress(OSError):
        tmp_path.unlink(missing_ok=True)
