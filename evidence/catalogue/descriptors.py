"""The descriptor search: which stored frames' copy-detection descriptors (`frame_descriptor`) are
similar to a query's. Exhaustive: the stored descriptors are read a chunk at a time and compared by
matrix product (float32), so the answer is exact; the catalogue is the only copy (nothing to rebuild).
Callers own the transaction."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.catalogue.models import Frame, FrameDescriptor

CHUNK: Final = 20000  # stored descriptors compared at a time (20 MB of float16 read, 40 MB compared)
PER_QUERY: Final = 256  # the most similar stored frames kept per query frame
ID_CHUNK: Final = 900


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
    from evidence.media.sscd import unpack

    if not len(vectors):
        return []
    query = np.ascontiguousarray(vectors, dtype=np.float32)
    excluded = sorted(set(exclude_items))
    found_q: list[npt.NDArray[np.int64]] = []
    found_item: list[npt.NDArray[np.int64]] = []
    found_t: list[npt.NDArray[np.float64]] = []
    found_sim: list[npt.NDArray[np.float32]] = []
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
    q, item, t = np.concatenate(found_q), np.concatenate(found_item), np.concatenate(found_t)
    sim = np.concatenate(found_sim).astype(np.float64)
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
