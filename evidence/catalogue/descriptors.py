"""The descriptor search: which stored frames' copy-detection descriptors (`frame_descriptor`) are
similar to a query's. Callers own the transaction.

Two stages at scale: candidates by the Hamming distance of sign bits over every stored descriptor (the
codes kept by `catalogue.descriptor_cache`, compared by faiss: the `CANDIDATES` nearest within `RADIUS`
bits per query row), then the candidates' float16 vectors (kept in the same cache, as stored) compared
exactly (float32 dot products); the rows that reach the threshold are looked up in the database by id,
so that every hit is a stored row, with its frame's time and its true similarity. Same-footage
frames are at most about 187 bits apart and unrelated ones at least about 202 (`../shared/notes`); a
pair exactly at the pair threshold (0.40) is about 189 ± 11 bits apart, hence the generous radius.
Below `INDEX_FROM` stored rows, or without a cache, the exhaustive scan (`exact_search`) answers."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.catalogue import descriptor_cache
from evidence.catalogue.models import Frame, FrameDescriptor

CHUNK: Final = 20000  # stored descriptors compared at a time (20 MB of float16 read, 40 MB compared)
PER_QUERY: Final = 256  # the most similar stored frames kept per query frame
ID_CHUNK: Final = 900
INDEX_FROM: Final = 20000  # stored descriptors (all algorithms) from which the cached codes are used
CANDIDATES: Final = 256  # nearest codes per query row re-ranked exactly
RADIUS: Final = 216  # bits: farther codes are never candidates
SINGLE_THREAD_BELOW: Final = 16  # query rows: fewer are searched on one thread (no thread start-up)

I64 = npt.NDArray[np.int64]
F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class DescriptorHit:
    query: int  # row of the query matrix
    item_id: int
    t: float  # the stored frame's time
    similarity: float


def search(
    session: Session,
    vectors: npt.NDArray[np.float32],
    *,
    algorithm: tuple[str, int],
    threshold: float,
    exclude_items: Collection[int] = (),
) -> list[DescriptorHit]:
    """Stored (not flat) descriptors of `algorithm` (name, version) at least `threshold` similar to a
    query row, at most `PER_QUERY` per row, most similar first."""
    if not len(vectors):
        return []
    query = np.ascontiguousarray(vectors, dtype=np.float32)
    for _ in range(2):
        codes = descriptor_cache.load(session, algorithm, minimum=INDEX_FROM)
        if codes is None:
            break
        hits, gone = _indexed(session, query, codes, algorithm, threshold, sorted(set(exclude_items)))
        if not len(gone):
            return hits
        # deleted rows took candidates' places: drop them from the cache and search again
        descriptor_cache.forget(session, algorithm, gone)
    return exact_search(session, query, algorithm=algorithm, threshold=threshold, exclude_items=exclude_items)


def _indexed(
    session: Session,
    query: F32,
    codes: descriptor_cache.Codes,
    algorithm: tuple[str, int],
    threshold: float,
    excluded: list[int],
) -> tuple[list[DescriptorHit], I64]:
    """The hits, and the candidates' ids that are no longer in the catalogue."""
    none = np.zeros(0, dtype=np.int64)
    if not len(codes.ids):
        return [], none
    skip = np.isin(codes.items, excluded) if excluded else None
    k = min(len(codes.ids), CANDIDATES + (int(skip.sum()) if skip is not None else 0))
    distances, rows = _nearest(descriptor_cache.binarise(query), codes.codes, k)
    keep = (rows >= 0) & (distances <= RADIUS)
    if skip is not None:
        keep &= ~skip[np.where(rows >= 0, rows, 0)]
    qi, col = np.nonzero(keep)
    first = np.cumsum(keep, axis=1)[qi, col] <= CANDIDATES  # the nearest CANDIDATES kept of each row
    qi, row = qi[first], rows[qi[first], col[first]]
    sims = np.einsum("ij,ij->i", query[qi], np.asarray(codes.vectors[row], dtype=np.float32))
    over = sims >= threshold
    qi, cand, sims = qi[over], codes.ids[row[over]], sims[over]
    if not len(qi):
        return [], none
    found = _rows_of(session, np.unique(cand), algorithm)
    known = np.isin(cand, found.ids)  # rows deleted since the cache was synced fall out here
    gone = np.unique(cand[~known])
    qi, cand, sims = qi[known], cand[known], sims[known]
    at = np.searchsorted(found.ids, cand)
    items = found.items[at]
    ok = ~np.isin(items, excluded) if excluded else np.ones(len(at), dtype=bool)
    return _ranked(qi[ok], items[ok], found.times[at[ok]], sims[ok]), gone


def _nearest(query: npt.NDArray[np.uint8], codes: npt.NDArray[np.uint8], k: int) -> tuple[I64, I64]:
    """Hamming distances and row numbers of the `k` nearest codes of each query code (faiss)."""
    import faiss

    from evidence.media.sscd import threads

    faiss.omp_set_num_threads(1 if len(query) < SINGLE_THREAD_BELOW else threads())
    distances, rows = faiss.knn_hamming(np.ascontiguousarray(query), np.ascontiguousarray(codes), k)
    return np.asarray(distances, dtype=np.int64), np.asarray(rows, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class _Fetched:
    ids: I64  # ascending
    items: I64
    times: F64


def _rows_of(session: Session, ids: I64, algorithm: tuple[str, int]) -> _Fetched:
    """The rows among `ids` (ascending) that still hold a not flat descriptor of `algorithm`."""
    got: list[tuple[int, int, float]] = []
    wanted = [int(i) for i in ids]
    for start in range(0, len(wanted), ID_CHUNK):
        stmt = (
            select(FrameDescriptor.id, FrameDescriptor.item_id, Frame.t)
            .join(Frame, Frame.id == FrameDescriptor.frame_id)
            .where(
                FrameDescriptor.id.in_(wanted[start : start + ID_CHUNK]),
                FrameDescriptor.algorithm == algorithm[0],
                FrameDescriptor.version == algorithm[1],
                FrameDescriptor.flat.is_(False),
            )
        )
        got += [(int(a), int(b), float(c)) for a, b, c in session.execute(stmt)]
    got.sort()
    return _Fetched(
        np.array([r[0] for r in got], dtype=np.int64),
        np.array([r[1] for r in got], dtype=np.int64),
        np.array([r[2] for r in got], dtype=np.float64),
    )


def exact_search(
    session: Session,
    vectors: npt.NDArray[np.float32],
    *,
    algorithm: tuple[str, int],
    threshold: float,
    exclude_items: Collection[int] = (),
) -> list[DescriptorHit]:
    """`search` by reading every stored descriptor a chunk at a time and comparing them by matrix
    product: exact, O(catalogue); the reference the indexed search is measured against."""
    from evidence.media.sscd import unpack

    if not len(vectors):
        return []
    query = np.ascontiguousarray(vectors, dtype=np.float32)
    excluded = sorted(set(exclude_items))
    found_q: list[I64] = []
    found_item: list[I64] = []
    found_t: list[F64] = []
    found_sim: list[F32] = []
    last = 0
    while True:
        stmt = (
            select(FrameDescriptor.id, FrameDescriptor.item_id, Frame.t, FrameDescriptor.vector)
            .join(Frame, Frame.id == FrameDescriptor.frame_id)
            .where(
                FrameDescriptor.id > last,
                FrameDescriptor.algorithm == algorithm[0],
                FrameDescriptor.version == algorithm[1],
                FrameDescriptor.flat.is_(False),
            )
            .order_by(FrameDescriptor.id)
            .limit(CHUNK)
        )
        rows = session.execute(stmt).all()
        if not rows:
            break
        last = rows[-1][0]
        items = np.array([r[1] for r in rows], dtype=np.int64)
        keep = ~np.isin(items, excluded) if excluded else np.ones(len(rows), dtype=bool)
        if not keep.any():
            continue
        stored = unpack([bytes(r[3]) for r, k in zip(rows, keep, strict=True) if k])
        times = np.array([r[2] for r, k in zip(rows, keep, strict=True) if k], dtype=np.float64)
        sims = query @ stored.T
        qi, si = np.nonzero(sims >= threshold)
        found_q.append(qi.astype(np.int64))
        found_item.append(items[keep][si])
        found_t.append(times[si])
        found_sim.append(sims[qi, si])
    if not found_q:
        return []
    return _ranked(
        np.concatenate(found_q),
        np.concatenate(found_item),
        np.concatenate(found_t),
        np.concatenate(found_sim),
    )


def _ranked(q: I64, item: I64, t: F64, similarity: npt.NDArray[np.floating]) -> list[DescriptorHit]:
    """The hits of each query row, most similar first, at most `PER_QUERY` of them."""
    if not len(q):
        return []
    sim = similarity.astype(np.float64)
    order = np.lexsort((-sim, q))
    q, item, t, sim = q[order], item[order], t[order], sim[order]
    _, starts = np.unique(q, return_index=True)
    rank = np.arange(len(q)) - np.repeat(starts, np.diff(np.append(starts, len(q))))
    capped = rank < PER_QUERY
    return [
        DescriptorHit(int(a), int(b), float(c), float(d))
        for a, b, c, d in zip(q[capped], item[capped], t[capped], sim[capped], strict=True)
    ]


def descriptors_of(
    session: Session, item_ids: Collection[int], algorithm: tuple[str, int]
) -> dict[int, tuple[list[float], npt.NDArray[np.float32]]]:
    """Each item's stored, not flat descriptors of `algorithm`: their frame times and (m, 512) vectors."""
    from evidence.media.sscd import unpack

    found: dict[int, list[tuple[float, bytes]]] = {i: [] for i in item_ids}
    ids = sorted(set(item_ids))
    for start in range(0, len(ids), ID_CHUNK):
        stmt = (
            select(FrameDescriptor.item_id, Frame.t, FrameDescriptor.vector)
            .join(Frame, Frame.id == FrameDescriptor.frame_id)
            .where(
                FrameDescriptor.item_id.in_(ids[start : start + ID_CHUNK]),
                FrameDescriptor.algorithm == algorithm[0],
                FrameDescriptor.version == algorithm[1],
                FrameDescriptor.flat.is_(False),
            )
        )
        for item_id, t, vector in session.execute(stmt):
            found[item_id].append((float(t), bytes(vector)))
    out = {}
    for item_id, rows in found.items():
        rows.sort()
        out[item_id] = ([t for t, _ in rows], unpack([v for _, v in rows]))
    return out


def described_items(session: Session, item_ids: Collection[int]) -> set[int]:
    """Those of these items that have stored descriptors (analysed since descriptors exist)."""
    ids, out = sorted(set(item_ids)), set[int]()
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start : start + ID_CHUNK]
        out.update(
            session.scalars(
                select(FrameDescriptor.item_id).where(FrameDescriptor.item_id.in_(chunk)).distinct()
            )
        )
    return out
