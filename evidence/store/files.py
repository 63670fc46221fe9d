"""Files outside the store: listing a folder to preserve and opening a source (regular files only,
never through a symbolic link), hashing, free space, the exit-4 error for the environment. No state."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

from evidence.config import DIRNAME
from evidence.core.text import human_size
from evidence.errors import EnvironmentFailure, InputRefused, UsageError

CHUNK = 1 << 20


# keep this much free beyond the file itself, so the database and logs can still be written
HEADROOM = 16 << 20


def environment_error(exc: OSError, what: str) -> EnvironmentFailure:
    if exc.errno == errno.EFBIG:
        return EnvironmentFailure(
            f"the file is larger than this system lets the tool write while {what} ({exc.strerror}); "
            "raise the file-size limit (`ulimit -f`) and run the command again"
        )
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return EnvironmentFailure(
            f"the disk is full while {what} ({exc.strerror}); free some space and run the command again"
        )
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return EnvironmentFailure(
            f"the evidence store is not writable while {what} ({exc.strerror}); "
            "make it writable (or mount it read-write) and run the command again"
        )
    return EnvironmentFailure(f"filesystem error while {what}: {exc.strerror or exc}")


def check_room(folder: Path, size: int, *, where: str, advice: str) -> None:
    """Refuse (exit 4) unless `folder`'s filesystem has room for `size` bytes plus HEADROOM, saying
    both, so that a refusal with more free space than the file itself is not a riddle."""
    try:
        st = os.statvfs(folder)
    except OSError as exc:
        raise environment_error(exc, "checking free space") from exc
    free = st.f_bavail * st.f_frsize
    if free < size + HEADROOM:
        raise EnvironmentFailure(
            f"not enough free space {where}: needs {human_size(size)} plus a {human_size(HEADROOM)} safety "
            f"margin (kept for the catalogue and its logs), {human_size(free)} free; {advice}"
        )


def hash_path(path: Path, *, progress: ProgressFn | None = None) -> str:
    hasher = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            hasher.update(chunk)
            if progress is not None:
                progress(len(chunk))
    return hasher.hexdigest()


def changed_since(before: os.stat_result, after: os.stat_result) -> bool:
    return (before.st_size, before.st_mtime_ns, before.st_ino) != (
        after.st_size,
        after.st_mtime_ns,
        after.st_ino,
    )


def shown_path(path: Path) -> str:
    from evidence.core.text import printable

    return printable(str(path))


def open_regular(source: Path, *, identity: tuple[int, int] | None = None) -> int:
    """Open for reading without ever blocking (FIFOs, devices) and insist on a regular file (and on the
    file listed, when its (device, inode) `identity` is given)."""
    shown = shown_path(source)
    try:
        st = os.stat(source)
    except FileNotFoundError:
        raise InputRefused(f"{shown}: no such file") from None
    except OSError as exc:
        raise InputRefused(f"{shown}: cannot access: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        what = _file_type(st.st_mode)
        raise InputRefused(f"{shown}: is a {what}, not a regular file; only files can be preserved")
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except PermissionError:
        raise InputRefused(f"{shown}: permission denied; make it readable and try again") from None
    except OSError as exc:
        raise InputRefused(f"{shown}: cannot open: {exc.strerror}") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):  # swapped between stat and open
        os.close(fd)
        raise InputRefused(f"{shown}: is not a regular file")
    if identity is not None and (st.st_dev, st.st_ino) != identity:
        os.close(fd)
        raise InputRefused(f"{shown}: was replaced after it was listed; not preserved (add it again)")
    os.set_blocking(fd, True)
    return fd


def read_small(source: Path, limit: int, what: str, *, first_only: bool = False) -> bytes:
    """A small file read whole (a certificate bundle, a hash list): a regular file (a FIFO or a device
    would block or never end) of at most `limit` bytes, else UsageError naming `what`; with
    `first_only`, its first `limit` bytes whatever its size (an anchor line in a long mail)."""
    try:
        if not stat.S_ISREG(source.stat().st_mode):
            raise UsageError(f"{what} is not a regular file")
        with source.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise UsageError(f"cannot read {what}: {exc.strerror}") from exc
    if len(data) > limit:
        if first_only:
            return data[:limit]
        raise UsageError(f"{what} is larger than {limit >> 20} MiB")
    return data


def _file_type(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISFIFO(mode):
        return "FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"


ProgressFn = Callable[[int], None]


def walk_folder(top: Path, *, include_hidden: bool) -> Iterator[tuple[Path, os.stat_result | str]]:
    """Everything under `top` that is not a folder, with its `lstat`: files in sorted order, each
    folder's files before its subfolders', as `os.walk` visits them, but with an explicit stack so
    that no nesting depth can exhaust the interpreter's recursion limit. Symbolic links (to files or
    folders) are yielded, never followed; `.evidence` folders are never entered; hidden names are
    left out unless `include_hidden`. A folder or entry that cannot be read is yielded with the reason
    instead (a folder that cannot be listed is never silently left out)."""
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as entries:
                listed = sorted(entries, key=lambda entry: entry.name)
        except OSError as exc:
            yield folder, f"cannot read the folder: {exc.strerror or exc}"
            continue
        subfolders: list[Path] = []
        for entry in listed:
            if not include_hidden and entry.name.startswith("."):
                continue
            path = folder / entry.name
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as exc:
                yield path, f"cannot access: {exc.strerror or exc}"
                continue
            if stat.S_ISDIR(st.st_mode):
                if entry.name != DIRNAME:
                    subfolders.append(path)
                continue
            yield path, st
        stack.extend(reversed(subfolders))
