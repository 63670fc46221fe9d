"""Files the tool writes for people (reports, contact sheets, exports, vocabularies, anchors): written
atomically, and never inside a catalogue.

The check resolves both sides before anything is written: symbolic links (a `.evidence` reached through
a link, a link to a stored object), `..` spellings, and hard links to stored objects (same device and
inode). A refusal is a usage error (exit 2) and nothing is written.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from evidence.core.text import printable
from evidence.errors import UsageError
from evidence.store.files import CHUNK, environment_error

# the file that says "this folder is a catalogue" (config.MARKER; repeated here so the store layer
# does not import the configuration)
CATALOGUE_MARKER = "EVIDENCE"


def real(path: Path) -> Path:
    """The path with every symbolic link and `..` resolved (also for a path that does not exist yet)."""
    return Path(os.path.realpath(os.path.abspath(path)))


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


@dataclass(frozen=True, slots=True)
class Protected:
    """What an output must never land in or replace: the catalogue folders (resolved), files kept
    outside them (an SQLite database given by URL), and the stores whose objects a hard link could name."""

    folders: tuple[Path, ...]
    files: tuple[Path, ...] = ()
    stores: tuple[Path, ...] = ()  # store roots holding objects/ and derived/

    @classmethod
    def of(
        cls, folders: Iterable[Path], files: Iterable[Path] = (), stores: Iterable[Path] = ()
    ) -> Protected:
        return cls(
            tuple(real(f) for f in folders), tuple(real(f) for f in files), tuple(real(s) for s in stores)
        )

    def check(self, target: Path, *, shown: str | None = None) -> Path:
        """The path to write `target` at (its folder resolved, its own name kept), or UsageError when it
        would land inside the catalogue, replace a protected file or name a stored object."""
        shown = shown or printable(str(target))
        parent = real(target.parent)
        candidates = {parent / target.name, real(target)}
        for path in candidates:
            if any(_within(path, folder) for folder in self.folders) or path in self.files:
                raise UsageError(f"{shown}: refusing to write inside the catalogue (it holds the originals)")
            if inside_a_catalogue(path):
                raise UsageError(f"{shown}: refusing to write inside a catalogue folder")
        try:
            st = os.stat(target)
        except OSError:
            return parent / target.name
        if stat.S_ISREG(st.st_mode) and st.st_nlink > 1 and self._is_stored_object(target, st):
            raise UsageError(f"{shown} is a hard link to a preserved original: refusing to replace it")
        return parent / target.name

    def _is_stored_object(self, target: Path, st: os.stat_result) -> bool:
        """Whether `target` is the same file (device and inode) as an object in one of the stores."""
        candidates = [root for root in self.stores if _same_device(root, st.st_dev)]
        if not candidates:
            return False
        try:
            digest = _sha256(target)
        except OSError:
            return False
        for root in candidates:
            for area in ("objects", "derived"):
                stored = root / area / digest[:2] / digest[2:4] / digest
                with contextlib.suppress(OSError):
                    other = os.stat(stored)
                    if (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino):
                        return True
        return False


def _same_device(path: Path, device: int) -> bool:
    try:
        return os.stat(path).st_dev == device
    except OSError:
        return False


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def inside_a_catalogue(path: Path) -> bool:
    """Whether `path` (resolved) is or lies inside a catalogue folder (one holding the marker file and a
    store, whatever its name). A project folder that merely *contains* a `.evidence` is not inside one."""
    for folder in (path, *path.parents):
        with contextlib.suppress(OSError):
            if (folder / CATALOGUE_MARKER).is_file() and (folder / "store").is_dir():
                return True
    return False


def write_output(data: bytes, output: Path, protected: Protected) -> str:
    """Write `data` to `output` atomically (a temp file beside it, fsync, rename) after `protected`
    allowed it; returns the SHA-256 of what was written."""
    shown = printable(str(output))
    target = protected.check(output, shown=shown)
    if target.is_dir():
        raise UsageError(f"{shown} is a directory: give a file name")
    if not target.parent.is_dir():
        raise UsageError(f"{printable(str(output.parent))}: no such folder")
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".evidence-", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise environment_error(exc, f"writing {shown}") from exc
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return hashlib.sha256(data).hexdigest()
