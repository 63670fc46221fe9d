"""The frame similarity index: stored PDQ hashes split into bands, in plain SQL on SQLite and PostgreSQL.

Each indexed 256-bit hash is cut into 16 bands of 16 bits (band i = bytes 2i..2i+1, big-endian), one
`hash_band` row per band under the primary key (band, value, fingerprint_id). A search looks up the
query hashes' band values by equality (all probes of a batch in a few statements: a VALUES list of
bound parameters joined to the primary key), fetches the candidates' full hashes from `fingerprint`
and verifies the Hamming distance with numpy. Two hashes within distance 15 always share a band
(pigeonhole); within 31, 99 % of them do (random bit flips, distances uniform over 0..31). A stored
hash that shares two bands with a query hash is a candidate (every one within distance 14 does, 99 %
within 20, 62 % at 31); one that shares a single band is a candidate only when its item has such a
hit for a query hash of the same batch. At 10 M fingerprints about 150 rows share any band value by chance, so
a clip's lookup would otherwise fetch and verify a million chance candidates; a copy has close frame
pairs that share two bands, and the rest of its frames are verified as before.

Near probing finds the rest: it also looks up the 16 one-bit neighbours of every band value, and takes
as candidates the stored hashes that have two bands within one bit of the query's. Every hash within
distance 29 has two such bands (16 bands with two differing bits each take 32), and at 30 or 31 all but
a few in a million random ones do. It costs 17 lookups per band instead of one but fetches almost
no chance candidates, so `search` uses it by default for up to `NEAR_MAX_QUERIES` query hashes (a
picture and its turns) and plain band equality for more (a clip's frames, where the matcher needs one
close frame pair in many, not every one).

What is indexed: informative `pdq.v1` fingerprints of the canonical (borders removed) and raw
(uncropped) variants, for video frames and images alike, and the parts of the canonical picture that
matching stores for copies with large logos or crops: its quarters and its centre. The 7 dihedral
variants stored for images (rotate90 … flipminus1) are not: a caller that
wants turned or mirrored copies queries with the dihedral variants of its own hash, which finds the
same pairs (a picture is as far from a turned copy as the picture turned back is from the copy) at a
fraction of the index.

The index is derived data: `index_fingerprints` keeps it current at ingest (`frames.record_frames`
calls it, and `unindex_items` before it replaces an item's fingerprints), `rebuild` recomputes it from
the fingerprints. Band values are computed in SQL from the stored hex, so indexing moves no hashes
through Python. Functions take a Session and never commit.

The band key layout and the bulk reads (plain SQL on the DBAPI cursor) are in `hashindex_sql`.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    ColumnElement,
    SmallInteger,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    tuple_,
)
from sqlalchemy.orm import Session

from evidence.catalogue.hashindex_sql import (
    _ID_CHUNK,
    _KEY_SHIFT,
    BAND_BITS,
    BANDS,
    HASH_BYTES,
    _band_rows,
    _chunks,
    _details,
    _fingerprint_ids,
    _hashes,
)
from evidence.catalogue.models import FrameHash, HashBand
from evidence.core import hamming
from evidence.core.fingerprint import PDQ_ALGORITHM, PDQ_VERSION
from evidence.core.names import REGION_NAMES, HashVariant

__all__ = [
    "BANDS",
    "BAND_BITS",
    "DEFAULT_THRESHOLD",
    "HASH_BYTES",
    "INDEXED_ALGORITHM",
    "INDEXED_VARIANTS",
    "MAX_HITS_PER_QUERY",
    "NEAR_MAX_QUERIES",
    "Hit",
    "band_values",
    "index_fingerprints",
    "rebuild",
    "search",
    "unindex_items",
]

log = logging.getLogger(__name__)

INDEXED_ALGORITHM: Final = (PDQ_ALGORITHM, PDQ_VERSION)
INDEXED_VARIANTS: Final = frozenset(
    {HashVariant.CANONICAL, HashVariant.RAW, HashVariant.CENTER, *REGION_NAMES}
)
#: `search` probes one-bit neighbours of every band by default for at most this many query hashes
NEAR_MAX_QUERIES: Final = 32
DEFAULT_THRESHOLD: Final = 31
#: distinct query hashes searched at a time: the working arrays grow with them, and a 2-hour clip has
#: 400,000 query hashes
SEARCH_BATCH: Final = 32768
# the nearest stored hashes kept per distinct query hash: enough for every copy of a frame in a large
# catalogue, and a bound on the work a static shot (one picture stored thousands of times) can cause
MAX_HITS_PER_QUERY: Final = 256

_HEX_DIGITS: Final = "0123456789abcdef"
# Core (not ORM) statements on the table: plain DML with an honest rowcount
_BAND_TABLE: Final = HashBand.metadata.tables[HashBand.__tablename__]


@dataclass(frozen=True, slots=True)
class Hit:
    query: int  # row number in the query list
    fingerprint_id: int
    item_id: int
    frame_id: int
    variant: str  # the stored hash's variant
    distance: int


def band_values(value: bytes) -> list[int]:
    """The 16 band values (0..65535) of a 32-byte hash: band i is bytes 2i..2i+1, big-endian."""
    if not isinstance(value, bytes) or len(value) != HASH_BYTES:
        raise ValueError(f"band_values needs a {HASH_BYTES}-byte hash")
    return [int.from_bytes(value[2 * i : 2 * i + 2], "big") for i in range(BANDS)]


# --- building -------------------------------------------------------------------------------------


def index_fingerprints(session: Session, fingerprint_ids: Sequence[int], *, fresh: bool = False) -> int:
    """Index these fingerprint rows (those of an indexed algorithm and variant, and informative);
    return the number of band rows added. Rows already indexed are replaced, so a repeat is harmless;
    `fresh` rows (just inserted, after their item's band rows were removed) have none to replace."""
    ids = sorted(set(fingerprint_ids))
    added = 0
    for chunk in _chunks(ids, _ID_CHUNK):
        if not fresh:
            _delete_bands(session, FrameHash.id.in_(chunk))
        added += _insert_bands(session, FrameHash.id.in_(chunk))
    return added


def unindex_items(session: Session, item_ids: Collection[int]) -> int:
    """Remove the band rows of these items' fingerprints; call it before deleting the fingerprints
    (the band rows are found by their full key, computed from the fingerprints)."""
    return sum(
        _delete_bands(session, FrameHash.item_id.in_(chunk))
        for chunk in _chunks(sorted(set(item_ids)), _ID_CHUNK)
    )


def rebuild(session: Session) -> int:
    """Delete every band row and index every fingerprint again; return the number of band rows."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("TRUNCATE hash_band"))
    else:
        session.execute(delete(_BAND_TABLE))  # SQLite empties a table without foreign keys at once
    added = _insert_bands(session, None)
    log.info("rebuilt the frame index: %d band rows", added)
    return added


@dataclass(frozen=True, slots=True)
class IndexCheck:
    missing: int  # band rows the fingerprints call for that the index lacks
    extra: int  # band rows the index has that no fingerprint calls for


def check(session: Session) -> IndexCheck:
    """Compare the index with what the stored fingerprints call for, band by band, in SQL."""
    missing = extra = 0
    for band in range(BANDS):
        value = _band_value(session, band)
        expected = select(literal(band, SmallInteger), value, FrameHash.id).where(*_indexed())
        actual = select(HashBand.band, HashBand.value, HashBand.fingerprint_id).where(HashBand.band == band)
        for first, second in ((expected, actual), (actual, expected)):
            difference = first.except_(second).subquery()
            count = int(session.scalar(select(func.count()).select_from(difference)) or 0)
            if first is expected:
                missing += count
            else:
                extra += count
    return IndexCheck(missing, extra)


def _indexed() -> tuple[ColumnElement[bool], ...]:
    """The fingerprints the index holds: informative pdq.v1 hashes of the indexed variants."""
    return (
        FrameHash.algorithm == INDEXED_ALGORITHM[0],
        FrameHash.version == INDEXED_ALGORITHM[1],
        FrameHash.variant.in_(sorted(INDEXED_VARIANTS)),
        FrameHash.informative.is_(True),
        func.length(FrameHash.value) == 2 * HASH_BYTES,
    )


def _band_value(session: Session, band: int) -> ColumnElement[int]:
    """A band's value computed in SQL from the stored lowercase hex (instr on SQLite, strpos on PG)."""
    position = func.instr if session.get_bind().dialect.name == "sqlite" else func.strpos
    digits = [
        position(_HEX_DIGITS, func.substr(func.lower(FrameHash.value), 4 * band + k + 1, 1)) - 1
        for k in range(4)
    ]
    return digits[0] * 4096 + digits[1] * 256 + digits[2] * 16 + digits[3]


def _insert_bands(session: Session, where: ColumnElement[bool] | None) -> int:
    """INSERT … SELECT, one band at a time in key order: SQLite appends to its B-tree instead of
    inserting at random places (1 M hashes index in about 25 s instead of several minutes)."""
    added = 0
    for band in range(BANDS):
        value = _band_value(session, band)
        source = select(literal(band, SmallInteger), value, FrameHash.id).where(*_indexed())
        if where is not None:
            source = source.where(where)
        stmt = insert(_BAND_TABLE).from_select(
            ["band", "value", "fingerprint_id"], source.order_by(value, FrameHash.id)
        )
        added += _rowcount(session.execute(stmt.execution_options(preserve_rowcount=True)))
    return added


def _delete_bands(session: Session, where: ColumnElement[bool]) -> int:
    """Delete the band rows of the fingerprints selected by `where`, by primary key."""
    removed = 0
    for band in range(BANDS):
        keys = select(_band_value(session, band), FrameHash.id).where(where)
        stmt = delete(_BAND_TABLE).where(
            HashBand.band == band, tuple_(HashBand.value, HashBand.fingerprint_id).in_(keys)
        )
        removed += _rowcount(session.execute(stmt))
    return removed


def _rowcount(result: Any) -> int:
    return max(int(getattr(result, "rowcount", 0) or 0), 0)


# --- searching ------------------------------------------------------------------------------------


def search(
    session: Session,
    queries: Sequence[bytes] | npt.NDArray[np.uint8],
    *,
    threshold: int = DEFAULT_THRESHOLD,
    exclude_items: Collection[int] = (),
    variants: Collection[str] | None = None,
    near: bool | None = None,
) -> list[Hit]:
    """Every indexed stored hash within `threshold` of a query hash that shares two bands with it, or
    one band when its item has a hash found already, or, with `near` probing, that has two bands within
    one bit of it; ordered by query, distance, id.

    `near=None` probes near for at most `NEAR_MAX_QUERIES` query hashes. `exclude_items` leaves out
    stored hashes of those items; `variants` keeps only stored hashes of those variants. The query
    hashes are 32-byte strings, or the rows of an (n, 32) uint8 matrix. Distinct query hashes are
    searched `SEARCH_BATCH` at a time; an item found by one query hash of a batch has its single-band
    hashes verified for every query hash of that batch (with near probing the hits of one query hash
    do not depend on the others)."""
    given = _query_matrix(queries)
    if isinstance(threshold, bool) or not isinstance(threshold, int) or not 0 <= threshold <= 8 * HASH_BYTES:
        raise ValueError(f"threshold must be an integer 0..{8 * HASH_BYTES}, not {threshold!r}")
    if not len(given):
        return []
    # identical query hashes (a static shot) are searched once: the pairs below grow with the number of
    # queries times the rows they share a band with, which for a long static clip would be quadratic
    matrix, back = np.unique(given, axis=0, return_inverse=True)
    back = back.ravel()
    use_near = len(matrix) <= NEAR_MAX_QUERIES if near is None else near
    excluded_ids = _fingerprint_ids(session, exclude_items) if exclude_items else None
    # the query rows of distinct hash u are served[bounds[u]:bounds[u + 1]]
    served = np.argsort(back, kind="stable")
    bounds = np.searchsorted(back[served], np.arange(len(matrix) + 1))
    hits: list[Hit] = []
    for start in range(0, len(matrix), SEARCH_BATCH):
        batch = matrix[start : start + SEARCH_BATCH]
        hit_query, hit_id, hit_distance = _search_distinct(session, batch, threshold, excluded_ids, use_near)
        details = _details(session, np.unique(hit_id).tolist(), exclude_items, variants)
        # every hit of a distinct hash is a hit of each query row that has it
        first, count = bounds[hit_query + start], np.diff(bounds)[hit_query + start]
        offsets = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
        rows, ids = served[np.repeat(first, count) + offsets], np.repeat(hit_id, count)
        distances = np.repeat(hit_distance, count)
        hits += [
            Hit(q, f, *details[f], d)
            for q, f, d in zip(rows.tolist(), ids.tolist(), distances.tolist(), strict=True)
            if f in details
        ]
    hits.sort(key=lambda h: (h.query, h.distance, h.fingerprint_id))
    return hits


def _search_distinct(
    session: Session,
    matrix: npt.NDArray[np.uint8],
    threshold: int,
    excluded_ids: npt.NDArray[np.int64] | None,
    use_near: bool,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(query row, fingerprint id, distance) of the hits of distinct query hashes, at most
    `MAX_HITS_PER_QUERY` nearest per query."""
    probe_keys, probe_query = _probes(matrix, near=use_near)
    order = np.argsort(probe_keys, kind="stable")
    unique_keys, starts, counts = np.unique(probe_keys[order], return_index=True, return_counts=True)

    row_keys, row_ids = _band_rows(session, unique_keys)
    if excluded_ids is not None:  # leave out the excluded items' rows before they are paired with queries
        keep = ~np.isin(row_ids, excluded_ids)
        row_keys, row_ids = row_keys[keep], row_ids[keep]
    # each (key, fingerprint) row becomes a (query, fingerprint) pair for every query that probed the key
    at = np.searchsorted(unique_keys, row_keys)
    per_row = counts[at]
    offsets = np.arange(int(per_row.sum())) - np.repeat(np.cumsum(per_row) - per_row, per_row)
    pair_query = probe_query[order[np.repeat(starts[at], per_row) + offsets]]
    pair_id = np.repeat(row_ids, per_row)
    # a pair seen through two bands (exact, or within one bit with near probing) is a candidate
    span = int(row_ids.max(initial=0)) + 1
    pairs, seen = np.unique(pair_query * span + pair_id, return_counts=True)
    strong_query, strong_id = np.divmod(pairs[seen >= 2], span)
    hit_query, hit_id, hit_distance, hit_item = _verified(session, matrix, strong_query, strong_id, threshold)
    if not use_near:
        # an exact pair seen through one band only (about 150 rows share a band value by chance at 10 M
        # fingerprints) is verified when its stored hash's item has a hit already: a copy has close frame
        # pairs that share two bands or more, a chance row belongs to an item that has none
        weak_query, weak_id = np.divmod(pairs[seen == 1], span)
        keep = np.isin(weak_id, _fingerprint_ids(session, np.unique(hit_item).tolist()))
        more_query, more_id, more_distance, _ = _verified(
            session, matrix, weak_query[keep], weak_id[keep], threshold
        )
        hit_query = np.concatenate([hit_query, more_query])
        hit_id = np.concatenate([hit_id, more_id])
        hit_distance = np.concatenate([hit_distance, more_distance])

    # at most MAX_HITS_PER_QUERY nearest stored hashes per distinct query
    ranked = np.lexsort((hit_id, hit_distance, hit_query))
    hit_query, hit_id, hit_distance = hit_query[ranked], hit_id[ranked], hit_distance[ranked]
    _, group_start = np.unique(hit_query, return_index=True)
    rank = np.arange(len(hit_query)) - np.repeat(group_start, np.diff(np.append(group_start, len(hit_query))))
    capped = rank < MAX_HITS_PER_QUERY
    return hit_query[capped], hit_id[capped], hit_distance[capped]


def _verified(
    session: Session,
    matrix: npt.NDArray[np.uint8],
    pair_query: npt.NDArray[np.int64],
    pair_id: npt.NDArray[np.int64],
    threshold: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(query row, fingerprint id, distance, item id) of the distinct candidate pairs within
    `threshold`, by the stored hashes' full values."""
    wanted, inverse = np.unique(pair_id, return_inverse=True)
    ids, words, items = _hashes(session, wanted)
    slot = np.full(len(wanted), -1, dtype=np.int64)  # row in `ids` of each wanted id (-1: no such row)
    slot[np.searchsorted(wanted, ids)] = np.arange(len(ids))
    where = slot[inverse.ravel()]
    known = where >= 0
    pair_query, where = pair_query[known], where[known]
    distances = hamming.distances(hamming.pack(matrix)[pair_query], words[where])
    close = distances <= threshold
    return pair_query[close], ids[where[close]], distances[close], items[where[close]]


def _query_matrix(queries: Sequence[bytes] | npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    if isinstance(queries, np.ndarray):
        if queries.dtype != np.uint8 or queries.ndim != 2 or queries.shape[1] != HASH_BYTES:
            raise ValueError(
                f"a query matrix has {HASH_BYTES} uint8 columns, not {queries.dtype} {queries.shape}"
            )
        return np.ascontiguousarray(queries)
    for i, q in enumerate(queries):
        if not isinstance(q, bytes) or len(q) != HASH_BYTES:
            raise ValueError(f"query {i} is not a {HASH_BYTES}-byte hash")
    if not queries:
        return np.empty((0, HASH_BYTES), dtype=np.uint8)
    return np.frombuffer(b"".join(queries), dtype=np.uint8).reshape(len(queries), HASH_BYTES)


def _probes(
    matrix: npt.NDArray[np.uint8], *, near: bool
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Probe keys (band * 65536 + value) and the query each one serves; near adds one-bit neighbours."""
    n = len(matrix)
    band_values_ = matrix.view(">u2").astype(np.int64)[:, :, None]  # (n, 16, 1)
    if near:
        band_values_ = np.concatenate(
            [band_values_, band_values_ ^ (np.int64(1) << np.arange(BAND_BITS, dtype=np.int64))], axis=2
        )
    keys = band_values_ + (np.arange(BANDS, dtype=np.int64) * _KEY_SHIFT)[None, :, None]
    per_query = keys.shape[1] * keys.shape[2]
    return keys.reshape(-1), np.repeat(np.arange(n, dtype=np.int64), per_query)
