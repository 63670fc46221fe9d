"""Synthetic copy-detection descriptors for `bench/descriptor_index.py`, made through the real schema.

Stored: items of 100 frames (one a second), in shots of 8 frames; a shot is a random unit centre and
its frames are that centre plus noise (about 0.85 similar to each other), unrelated items are random
(about 0 ± 0.044 similar). Planted near copies, at exact similarities: for each single query one at
each of 12 similarities from 0.405 to 0.95; for each frame of the 120-frame clip-like batch (15 shots
of 8 frames, as a 60 s clip sampled at 2 a second) one at a random similarity in the same range.
Stored row i is `frame_descriptor.id` i + 1.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import func, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from evidence.catalogue import schema
from evidence.catalogue.engine import Database
from evidence.catalogue.models import Frame, FrameDescriptor, Item
from evidence.media import sscd

SEED = 20261205
FRAMES_PER_ITEM = 100
SHOT = 8
PLANTED = np.linspace(0.405, 0.95, 12)
DIM = sscd.DIMENSIONS


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def at_similarity(rng: np.random.Generator, q: np.ndarray, s: float) -> np.ndarray:
    """A unit vector whose dot product with unit `q` is `s` (before float16 rounding)."""
    r = rng.standard_normal(DIM).astype(np.float32)
    r -= (r @ q) * q
    r /= np.linalg.norm(r)
    return (s * q + np.sqrt(1 - s * s) * r).astype(np.float32)


def shots(rng: np.random.Generator, n: int, noise: float = 0.6) -> np.ndarray:
    centres = unit(rng.standard_normal((-(-n // SHOT), DIM)))
    frames = np.repeat(centres, SHOT, axis=0)[:n]
    return unit(frames + noise / np.sqrt(DIM) * rng.standard_normal((n, DIM)).astype(np.float32))


class Data:
    """Stored float16 descriptors (row i is descriptor id i + 1) and the query vectors."""

    def __init__(self, n: int, n_single: int, n_batch: int) -> None:
        rng = np.random.default_rng(SEED)
        self.single = unit(rng.standard_normal((n_single, DIM)))
        self.batch = shots(rng, n_batch)
        stored = np.empty((n, DIM), dtype=np.float16)
        step = 100_000
        for start in range(0, n, step):
            stored[start : start + step] = shots(rng, min(step, n - start))
        plants = [at_similarity(rng, q, s) for q in self.single for s in PLANTED]
        plants += [at_similarity(rng, q, float(rng.uniform(PLANTED[0], PLANTED[-1]))) for q in self.batch]
        if len(plants) > n // 10:
            raise SystemExit("too many planted descriptors for so few stored ones")
        where = rng.choice(n, len(plants), replace=False)
        stored[where] = np.array(plants)
        self.stored = stored


def exact(stored: np.ndarray, queries: np.ndarray, threshold: float) -> list[set[int]]:
    """Descriptor ids at least `threshold` similar to each query, by numpy over every stored vector."""
    out: list[set[int]] = [set() for _ in queries]
    for start in range(0, len(stored), 50_000):
        sims = queries @ stored[start : start + 50_000].astype(np.float32).T
        for q, s in zip(*np.nonzero(sims >= threshold), strict=True):
            out[int(q)].add(start + int(s) + 1)
    return out


def populate(db: Database, stored: np.ndarray) -> None:
    now = datetime.now(UTC)
    n_items = -(-len(stored) // FRAMES_PER_ITEM)
    with db.write() as s:
        s.execute(
            insert(Item),
            [
                {"id": i + 1, "sha256": f"{i:064x}", "size": 1, "kind": "video", "first_catalogued_at": now}
                for i in range(n_items)
            ],
        )
    step = 50_000
    for start in range(0, len(stored), step):
        ids = range(start, min(start + step, len(stored)))
        with db.write() as s:
            s.execute(
                insert(Frame),
                [
                    {
                        "id": f + 1,
                        "item_id": f // FRAMES_PER_ITEM + 1,
                        "idx": f % FRAMES_PER_ITEM,
                        "pts": f"{f % FRAMES_PER_ITEM}/1",
                        "t": float(f % FRAMES_PER_ITEM),
                        "sampled": True,
                    }
                    for f in ids
                ],
            )
            s.execute(
                insert(FrameDescriptor),
                [
                    {
                        "id": i + 1,
                        "frame_id": i + 1,
                        "item_id": i // FRAMES_PER_ITEM + 1,
                        "algorithm": sscd.ALGORITHM,
                        "version": sscd.VERSION,
                        "variant": "canonical",
                        "vector": stored[i].astype("<f2").tobytes(),
                        "flat": False,
                    }
                    for i in ids
                ],
            )


def is_built(db: Database, stored: np.ndarray) -> bool:
    try:
        with db.read() as s:
            count = s.scalar(select(func.count()).select_from(FrameDescriptor))
            last = s.scalar(select(FrameDescriptor.vector).where(FrameDescriptor.id == len(stored)))
    except Exception:
        return False
    return count == len(stored) and last is not None and bytes(last) == stored[-1].astype("<f2").tobytes()


def build(db: Database, url: str, stored: np.ndarray, fresh: bool) -> None:
    """Populate the catalogue through the real schema unless it already holds these descriptors."""
    if not fresh and is_built(db, stored):
        return
    if db.dialect == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
            conn.execute(text("DROP FUNCTION IF EXISTS evidence_event_append_only() CASCADE"))
    db.engine.dispose()
    schema.upgrade(url)
    started = time.perf_counter()
    populate(db, stored)
    print(
        f"  populated {len(stored):,} descriptors in {time.perf_counter() - started:.1f} s", file=sys.stderr
    )
    db.engine.dispose()
    if db.dialect == "sqlite":
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        conn.execute("ANALYZE")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
    else:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as pg:
            pg.execute(text("VACUUM ANALYZE"))
