"""The frame index's band key layout and its SQL reads: band rows and full hashes in bulk on the DBAPI
cursor, and the fingerprints of items and the details of hits."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from functools import lru_cache
from itertools import chain
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.catalogue.models import FrameHash
from evidence.core import hamming

BANDS: Final = 16
BAND_BITS: Final = 16
HASH_BYTES: Final = BANDS * BAND_BITS // 8
_KEY_SHIFT: Final = 1 << BAND_BITS  # probe key = band * 65536 + band value
_KEY_BITS: Final = 20  # keys are below 16 * 65536 = 2**20
_KEY_LIMIT: Final = 1 << _KEY_BITS
_PROBE_CHUNK: Final = 4096  # probes per statement (2 bound parameters each); a power of 2
_ID_CHUNK: Final = 8192  # ids per IN list; a power of 2
_FETCH_ROWS: Final = 65536  # band rows fetched at a time
_NO_BAND: Final = -1  # pads a probe list to a cached statement size; matches no row

# The two bulk reads (band rows, full hashes: up to a million rows for a clip) go to the DBAPI cursor of
# the session's connection, inside its transaction: SQLAlchemy's result rows would double their cost.
# Their parameters are bound, never formatted in: on PostgreSQL as one or two arrays (one statement,
# prepared once, planned as a nested loop over the primary key); on SQLite as positional parameters
# (sqlite3 binds thousands of named ones several times slower) in statements padded to a few sizes.
_SELECT_BANDS: Final = (
    f"SELECT CAST(hash_band.fingerprint_id AS BIGINT) * {_KEY_LIMIT} + hash_band.band * {_KEY_SHIFT} "
    "+ hash_band.value FROM probe CROSS JOIN hash_band "
    "WHERE hash_band.band = probe.band AND hash_band.value = probe.value"
)
_PG_BANDS: Final = (
    "WITH probe(band, value) AS (SELECT * FROM unnest(CAST(%s AS INTEGER[]), CAST(%s AS INTEGER[]))) "
    + _SELECT_BANDS
)
_PG_HASHES: Final = "SELECT id, value, item_id FROM fingerprint WHERE id = ANY(CAST(%s AS BIGINT[]))"


def _band_rows(
    session: Session, unique_keys: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(probe key, fingerprint id) of every band row equal to one of the (sorted, distinct) probes."""
    found = [np.empty(0, dtype=np.int64)]
    postgres = _dialect(session) == "postgresql"
    params: list[Any]
    for chunk in _chunks(unique_keys.tolist(), _PROBE_CHUNK):
        if postgres:
            bands, values = [k >> BAND_BITS for k in chunk], [k & (_KEY_SHIFT - 1) for k in chunk]
            sql, params = _PG_BANDS, [_pg_array(bands), _pg_array(values)]
        else:
            size = _padded(len(chunk))
            padded = chunk + [_NO_BAND * _KEY_SHIFT] * (size - len(chunk))
            sql, params = _sqlite_bands(size), [x for key in padded for x in divmod(key, _KEY_SHIFT)]
        found += _fetch_packed(session, sql, params)
    packed = np.concatenate(found)  # fingerprint id * 2**20 + key: one value a row is cheaper to fetch
    return packed & (_KEY_LIMIT - 1), packed >> _KEY_BITS


def _hashes(
    session: Session, ids: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """The full hashes of these fingerprints: sorted ids, an (n, 4) matrix of 64-bit words and the
    fingerprints' items."""
    rows: list[Any] = []
    postgres = _dialect(session) == "postgresql"
    for chunk in _chunks(ids.tolist(), _ID_CHUNK):
        if postgres:
            rows.extend(_fetch(session, _PG_HASHES, [_pg_array(chunk)]))
        else:
            size = _padded(len(chunk))
            rows.extend(_fetch(session, _sqlite_hashes(size), chunk + [-1] * (size - len(chunk))))
    rows.sort()
    return (
        np.array([r[0] for r in rows], dtype=np.int64),
        hamming.pack([r[1] for r in rows]),
        np.array([r[2] for r in rows], dtype=np.int64),
    )


def _fetch(session: Session, sql: str, params: list[Any]) -> list[Any]:
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(sql, params)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _fetch_packed(session: Session, sql: str, params: list[Any]) -> list[npt.NDArray[np.int64]]:
    """A one-integer-column result as arrays, a few thousand rows at a time: a static clip's own band
    rows (excluded afterwards) are millions, too many to hold as Python tuples."""
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(sql, params)
        found = []
        while rows := cursor.fetchmany(_FETCH_ROWS):
            found.append(np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=len(rows)))
        return found
    finally:
        cursor.close()


def _pg_array(numbers: list[int]) -> str:
    """An integer array parameter in PostgreSQL's text form ('{1,2,3}'), cast to an array type by the
    statement: psycopg's list adapter inspects every element and costs more than the search."""
    return "{" + ",".join(map(str, numbers)) + "}"


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _padded(n: int) -> int:
    """A statement size: a single query's 16 or 272 probes, or a power of 2."""
    if BANDS * BAND_BITS // 2 < n <= BANDS * (BAND_BITS + 1):
        return BANDS * (BAND_BITS + 1)
    size = BANDS
    while size < n:
        size *= 2
    return size


@lru_cache(maxsize=32)
def _sqlite_bands(size: int) -> str:
    """The probes as a VALUES list; CROSS JOIN makes them drive the join: one primary-key range each."""
    probes = ", ".join(["(CAST(? AS INTEGER), CAST(? AS INTEGER))"] + ["(?, ?)"] * (size - 1))
    return f"WITH probe(band, value) AS (VALUES {probes}) {_SELECT_BANDS}"


@lru_cache(maxsize=32)
def _sqlite_hashes(size: int) -> str:
    return f"SELECT id, value, item_id FROM fingerprint WHERE id IN ({', '.join(['?'] * size)})"


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _fingerprint_ids(session: Session, item_ids: Collection[int]) -> npt.NDArray[np.int64]:
    ids: list[int] = []
    for chunk in _chunks(sorted(set(item_ids)), _ID_CHUNK):
        ids.extend(session.scalars(select(FrameHash.id).where(FrameHash.item_id.in_(chunk))))
    return np.array(sorted(ids), dtype=np.int64)


def _details(
    session: Session, ids: list[int], exclude_items: Collection[int], variants: Collection[str] | None
) -> dict[int, tuple[int, int, str]]:
    """fingerprint id -> (item id, frame id, variant) of the hits, without excluded items and variants."""
    out: dict[int, tuple[int, int, str]] = {}
    excluded = sorted(set(exclude_items))
    for chunk in _chunks(ids, _ID_CHUNK):
        stmt = select(FrameHash.id, FrameHash.item_id, FrameHash.frame_id, FrameHash.variant)
        stmt = stmt.where(FrameHash.id.in_(chunk))
        if excluded:
            stmt = stmt.where(FrameHash.item_id.not_in(excluded))
        if variants is not None:
            stmt = stmt.where(FrameHash.variant.in_(sorted(set(variants))))
        out.update((i, (item, frame, variant)) for i, item, frame, variant in session.execute(stmt))
    return out
