"""The descriptor search's side index: every stored, not flat descriptor of one algorithm sign-binarised
(512 bits, 64 bytes) and as stored (float16, 1 KB) in files beside the catalogue, memory-mapped, so that
a query can compare itself with all of them by Hamming distance and re-rank its candidates exactly
without reading the database's vectors (a stored vector never changes: re-analysis deletes rows and
adds new ones).

Rebuildable from the catalogue, which stays the source of truth: the files are a cache that is synced
at each search by two primary-key look-ups (rows with a higher id than the last one cached are
appended; a last cached row that is gone or whose frame or vector changed, as when SQLite gives a
deleted last row's id to a new one, makes it rebuild from scratch), and whose hits are checked: the
search looks up the rows it is about to return in the database (with their frame's time), so that a
row deleted since is never returned, and `forget` drops the deleted rows it met from the cache (a
whole-table count would catch them sooner but costs 80-110 ms at 1 M rows).
Where the files cannot be
written (a read-only catalogue, an in-memory database) `load` answers None and the search scans.

Where: for an SQLite catalogue `<folder of the database>/cache/<database file's stem>.<algorithm>-v<n>/`
(`.evidence/cache/` for a catalogue); for another database
`$XDG_CACHE_HOME/evidence/descriptors/<sha-256 of the URL without password>.<algorithm>-v<n>/`.
A generation is four files, `<gen>.ids` (int64), `<gen>.items` (int64), `<gen>.codes` (64 bytes a
row), `<gen>.vectors` (float16, 1,024 bytes a row), of which `meta.json` names the generation and how
many rows are valid; a writer holds `lock`. At 1 M rows that is 1.1 GB, about the database's own
descriptor table.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evidence.catalogue.models import FrameDescriptor
from evidence.config import sqlite_file

FORMAT: Final = 2
CODE_BYTES: Final = 64  # 512 sign bits
DIMENSIONS: Final = CODE_BYTES * 8
VECTOR_BYTES: Final = DIMENSIONS * 2  # float16, as stored
SUFFIXES: Final = (".ids", ".items", ".codes", ".vectors")
WIDTHS: Final = (8, 8, CODE_BYTES, VECTOR_BYTES)
CHUNK: Final = 20000  # rows read from the database at a time while syncing
ENV_CACHE: Final = "EVIDENCE_CACHE_DIR"  # overrides where the cache of a non-SQLite database lives

I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]
F16 = npt.NDArray[np.float16]


@dataclass(frozen=True, slots=True)
class Codes:
    """The cached rows, in ascending descriptor id: ids, their items, their (n, 64) sign bits and
    their (n, 512) float16 vectors."""

    ids: I64
    items: I64
    codes: U8
    vectors: F16


def binarise(vectors: npt.NDArray[Any]) -> U8:
    """The sign bits of (n, 512) descriptors packed into (n, 64) bytes (bit set where > 0)."""
    return np.packbits(np.asarray(vectors) > 0, axis=1)


def directory(session: Session, algorithm: tuple[str, int]) -> Path | None:
    """Where the cache of this catalogue's `algorithm` descriptors lives (None: nowhere to keep one)."""
    from sqlalchemy.engine import make_url

    url = session.get_bind().engine.url
    name = f"{algorithm[0]}-v{algorithm[1]}"
    if url.drivername.startswith("sqlite"):
        path = sqlite_file(url.render_as_string(hide_password=False))
        return None if path is None else path.parent / "cache" / f"{path.stem}.{name}"
    plain = make_url(url.render_as_string(hide_password=False)).set(password=None)
    key = hashlib.sha256(plain.render_as_string(hide_password=False).encode()).hexdigest()[:24]
    base = os.environ.get(ENV_CACHE) or os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "evidence" / "descriptors" / f"{key}.{name}"


def load(session: Session, algorithm: tuple[str, int], *, minimum: int = 0) -> Codes | None:
    """The cached codes, synced with the database as this session sees it; None when the highest id
    is below `minimum` (too few rows to be worth a cache) or the cache cannot be kept."""
    top = session.scalar(select(func.max(FrameDescriptor.id)))
    if top is None or top < minimum:
        return None
    where = directory(session, algorithm)
    if where is None:
        return None
    meta = _read_meta(where)
    if meta is not None and meta["last_id"] == top and _tail_ok(session, meta):
        codes = _open(where, meta)
        if codes is not None:
            return codes
    try:
        with _locked(where):
            meta = _read_meta(where)  # another process may have synced it meanwhile
            meta = _sync(session, where, meta, algorithm, top)
    except OSError:
        return None
    return _open(where, meta)


def _sync(
    session: Session, where: Path, meta: dict[str, Any] | None, algorithm: tuple[str, int], top: int
) -> dict[str, Any]:
    if meta is not None and _map(where, str(meta["generation"]), int(meta["rows"])) is None:
        meta = None  # files gone or cut short: appending would leave a hole of zeros
    if meta is not None and meta["last_id"] <= top and _tail_ok(session, meta):
        appended = _append(session, where, meta, algorithm) if meta["last_id"] < top else meta
        if appended["last_id"] == top:
            return appended
    return _rebuild(session, where, algorithm, top)


def forget(session: Session, algorithm: tuple[str, int], gone: I64) -> None:
    """Drop from the cache the rows of these ids (deleted from the catalogue): a new generation
    without them. Nothing happens where the cache cannot be written."""
    where = directory(session, algorithm)
    if where is None or not len(gone):
        return
    try:
        with _locked(where):
            meta = _read_meta(where)
            codes = None if meta is None else _open(where, meta)
            if meta is None or codes is None:
                return
            keep = ~np.isin(codes.ids, gone)
            generation = secrets.token_hex(8)
            columns: tuple[npt.NDArray[Any], ...] = (codes.ids, codes.items, codes.codes, codes.vectors)
            for suffix, column in zip(SUFFIXES, columns, strict=True):
                with open(where / f"{generation}{suffix}", "wb") as f:
                    f.write(np.ascontiguousarray(column[keep]).tobytes())
                    f.flush()
                    os.fsync(f.fileno())
            _write_meta(where, {**meta, "generation": generation, "rows": int(keep.sum())})
            for suffix in SUFFIXES:
                (where / f"{meta['generation']}{suffix}").unlink(missing_ok=True)
    except OSError:
        return


def _rebuild(session: Session, where: Path, algorithm: tuple[str, int], top: int) -> dict[str, Any]:
    generation = secrets.token_hex(8)
    for name in os.listdir(where):
        if name.endswith(SUFFIXES):
            (where / name).unlink(missing_ok=True)  # readers that mapped them keep them until they close
    empty = {"format": FORMAT, "generation": generation, "rows": 0, "last_id": 0, "tail": ""}
    for suffix in SUFFIXES:
        (where / f"{generation}{suffix}").write_bytes(b"")
    meta = _append(session, where, empty, algorithm)
    if meta["last_id"] != top:  # the session's snapshot moved (a write transaction at READ COMMITTED)
        raise OSError("the catalogue changed while the descriptor cache was rebuilt")
    return meta


def _append(
    session: Session, where: Path, meta: dict[str, Any], algorithm: tuple[str, int]
) -> dict[str, Any]:
    """Append the rows with a higher id than the last cached one; the new meta, written."""
    rows, last, tail = int(meta["rows"]), int(meta["last_id"]), str(meta["tail"])
    generation = str(meta["generation"])
    files = [open(where / f"{generation}{s}", "r+b") for s in SUFFIXES]  # noqa: SIM115
    try:
        for f, width in zip(files, WIDTHS, strict=True):
            f.truncate(rows * width)  # what a writer that died left past the valid rows
            f.seek(rows * width)
        while True:
            stmt = (
                select(
                    FrameDescriptor.id,
                    FrameDescriptor.item_id,
                    FrameDescriptor.frame_id,
                    FrameDescriptor.algorithm,
                    FrameDescriptor.version,
                    FrameDescriptor.flat,
                    FrameDescriptor.vector,
                )
                .where(FrameDescriptor.id > last)
                .order_by(FrameDescriptor.id)
                .limit(CHUNK)
            )
            chunk = session.execute(stmt).all()
            if not chunk:
                break
            last = int(chunk[-1][0])
            tail = _tail_of(int(chunk[-1][2]), bytes(chunk[-1][6]))
            ours = [r for r in chunk if (r[3], r[4]) == algorithm and not r[5]]
            if not ours:
                continue
            blobs = b"".join(bytes(r[6]) for r in ours)
            vectors = np.frombuffer(blobs, dtype="<f2").reshape(len(ours), -1)
            if vectors.shape[1] != DIMENSIONS:
                raise OSError(f"stored descriptors of {vectors.shape[1]} dimensions: not cached")
            files[0].write(np.array([r[0] for r in ours], dtype="<i8").tobytes())
            files[1].write(np.array([r[1] for r in ours], dtype="<i8").tobytes())
            files[2].write(binarise(vectors).tobytes())
            files[3].write(blobs)
            rows += len(ours)
        for f in files:
            f.flush()
            os.fsync(f.fileno())
    finally:
        for f in files:
            f.close()
    new = {**meta, "rows": rows, "last_id": last, "tail": tail}
    _write_meta(where, new)
    return new


def _write_meta(where: Path, meta: dict[str, Any]) -> None:
    temporary = where / f"meta.{secrets.token_hex(4)}.tmp"
    temporary.write_text(json.dumps(meta))
    os.replace(temporary, where / "meta.json")


def _tail_of(frame_id: int, vector: bytes) -> str:
    return hashlib.sha256(frame_id.to_bytes(8, "little") + vector).hexdigest()[:32]


def _tail_ok(session: Session, meta: dict[str, Any]) -> bool:
    """The last cached row is still the one cached (SQLite reuses the ids of deleted last rows)."""
    if not meta["last_id"]:
        return True
    row = session.execute(
        select(FrameDescriptor.frame_id, FrameDescriptor.vector).where(FrameDescriptor.id == meta["last_id"])
    ).one_or_none()
    return row is not None and _tail_of(int(row[0]), bytes(row[1])) == meta["tail"]


def _read_meta(where: Path) -> dict[str, Any] | None:
    try:
        meta = json.loads((where / "meta.json").read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        return None
    keys = ("generation", "rows", "last_id", "tail")
    return meta if all(k in meta for k in keys) else None


_mapped: dict[Path, tuple[str, int, Codes]] = {}
"""The generation and row count last mapped from each cache directory in this process, and its arrays:
a search maps the same files again only when they changed (mapping 1 M rows anew costs the first
scan a page fault per 4 KB, about 3 ms, more than the scan itself)."""


def _open(where: Path, meta: dict[str, Any]) -> Codes | None:
    rows, generation = int(meta["rows"]), str(meta["generation"])
    known = _mapped.get(where)
    if known is not None and known[:2] == (generation, rows):
        return known[2]
    codes = _map(where, generation, rows)
    if codes is not None:
        _mapped[where] = (generation, rows, codes)
    return codes


def _map(where: Path, generation: str, rows: int) -> Codes | None:
    if rows == 0:
        none = np.zeros(0, np.int64)
        return Codes(none, none, np.zeros((0, CODE_BYTES), np.uint8), np.zeros((0, DIMENSIONS), np.float16))
    try:
        ids = np.memmap(where / f"{generation}.ids", dtype="<i8", mode="r", shape=(rows,))
        items = np.memmap(where / f"{generation}.items", dtype="<i8", mode="r", shape=(rows,))
        codes = np.memmap(where / f"{generation}.codes", dtype=np.uint8, mode="r", shape=(rows, CODE_BYTES))
        vectors = np.memmap(where / f"{generation}.vectors", dtype="<f2", mode="r", shape=(rows, DIMENSIONS))
    except (OSError, ValueError):  # replaced by a rebuild meanwhile, or cut short
        return None
    return Codes(ids, items, codes, vectors)


@contextmanager
def _locked(where: Path) -> Iterator[None]:
    where.mkdir(parents=True, exist_ok=True)
    with open(where / "lock", "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
