"""The descriptor search through its cache of sign bits: the same hits as the exhaustive scan, never a
row deleted since the cache was synced, rows added since found, and the scan when no cache can be kept."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from conftest import PG_ENV, pg_url, reset_postgres
from sqlalchemy import delete, func, insert, select

from evidence.catalogue import descriptor_cache, descriptors, schema
from evidence.catalogue.descriptors import DescriptorHit, exact_search, search
from evidence.catalogue.engine import Database
from evidence.catalogue.models import Frame, FrameDescriptor, Item
from evidence.media import sscd

NOW = datetime(2026, 12, 5, tzinfo=UTC)
ALGORITHM = (sscd.ALGORITHM, sscd.VERSION)
FRAMES = 100  # per item
DIM = sscd.DIMENSIONS


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(pg_url() is None, reason=f"set {PG_ENV} to run on PostgreSQL"),
        ),
    ]
)
def db(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """A fresh, migrated catalogue database on each backend, its descriptor cache under tmp_path."""
    monkeypatch.setattr(descriptors, "INDEX_FROM", 1)
    monkeypatch.setenv(descriptor_cache.ENV_CACHE, str(tmp_path / "user-cache"))
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'catalogue.sqlite'}"
    else:
        url = pg_url()
        assert url is not None
        reset_postgres(url)
    schema.upgrade(url)
    database = Database(url)
    yield database
    database.dispose()


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def _near(rng: np.random.Generator, q: np.ndarray, s: float) -> np.ndarray:
    r = rng.standard_normal(DIM).astype(np.float32)
    r -= (r @ q) * q
    r /= np.linalg.norm(r)
    return (s * q + np.sqrt(1 - s * s) * r).astype(np.float32)


def _add_item(
    db: Database, vectors: np.ndarray, *, flat: bool = False, algorithm: tuple[str, int] = ALGORITHM
) -> int:
    """A new item whose frames (one a second) hold these descriptors; its id."""
    with db.write() as s:
        number = (s.scalar(select(func.count()).select_from(Item)) or 0) + 1
        item_id = s.scalars(
            insert(Item).returning(Item.id),
            [{"sha256": f"{number:064x}", "size": 1, "kind": "video", "first_catalogued_at": NOW}],
        ).one()
        frames = [
            {"item_id": item_id, "idx": i, "pts": f"{i}/1", "t": float(i), "sampled": True}
            for i in range(len(vectors))
        ]
        ids = list(s.scalars(insert(Frame).returning(Frame.id, sort_by_parameter_order=True), frames))
        s.execute(
            insert(FrameDescriptor),
            [
                {
                    "frame_id": frame_id,
                    "item_id": item_id,
                    "algorithm": algorithm[0],
                    "version": algorithm[1],
                    "variant": "canonical",
                    "vector": sscd.pack(v),
                    "flat": flat,
                }
                for frame_id, v in zip(ids, vectors, strict=True)
            ],
        )
    return int(item_id)


def _catalogue(db: Database, rng: np.random.Generator, queries: np.ndarray, items: int = 30) -> None:
    """`items` items of 100 random descriptors, among which near copies of every query at similarities
    0.42..0.95 (away from the threshold, where float rounding could decide either way)."""
    stored = _unit(rng.standard_normal((items * FRAMES, DIM)))
    plants = [_near(rng, q, s) for q in queries for s in np.linspace(0.42, 0.95, 8)]
    where = rng.choice(len(stored), len(plants), replace=False)
    stored[where] = np.array(plants)
    for i in range(items):
        _add_item(db, stored[i * FRAMES : (i + 1) * FRAMES])


def _key(hits: list[DescriptorHit]) -> list[tuple[int, int, float]]:
    return sorted((h.query, h.item_id, h.t) for h in hits)


def _same(fast: list[DescriptorHit], exact: list[DescriptorHit]) -> None:
    assert _key(fast) == _key(exact)
    by = {(h.query, h.item_id, h.t): h.similarity for h in exact}
    for h in fast:
        assert h.similarity == pytest.approx(by[(h.query, h.item_id, h.t)], abs=1e-5)


def _both(
    db: Database, queries: np.ndarray, exclude: tuple[int, ...] = ()
) -> tuple[list[DescriptorHit], ...]:
    with db.read() as s:
        fast = search(s, queries, algorithm=ALGORITHM, threshold=0.40, exclude_items=exclude)
        exact = exact_search(s, queries, algorithm=ALGORITHM, threshold=0.40, exclude_items=exclude)
    return fast, exact


def _where(db: Database) -> Path:
    """Where this catalogue's descriptor cache lives."""
    with db.read() as s:
        where = descriptor_cache.directory(s, ALGORITHM)
    assert where is not None
    return where


def _meta(db: Database) -> dict[str, int | str]:
    where = _where(db)
    meta: dict[str, int | str] = json.loads((where / "meta.json").read_text())
    return meta


def test_the_indexed_search_finds_what_the_scan_finds(db: Database) -> None:
    rng = np.random.default_rng(1)
    queries = _unit(rng.standard_normal((24, DIM)))
    _catalogue(db, rng, queries)
    _add_item(db, queries[:3].copy(), flat=True)  # flat frames are never hits
    _add_item(db, queries[:3].copy(), algorithm=(sscd.ALGORITHM, 99))  # nor another version's
    fast, exact = _both(db, queries)
    assert len(exact) == 24 * 8
    _same(fast, exact)
    assert _meta(db)["rows"] == 30 * FRAMES  # the cache holds this algorithm's not flat rows only
    # most similar first, per query row, and an excluded item is never a hit
    for q in range(len(queries)):
        sims = [h.similarity for h in fast if h.query == q]
        assert sims == sorted(sims, reverse=True)
    excluded = (fast[0].item_id, fast[-1].item_id)
    fast, exact = _both(db, queries, excluded)
    assert not {h.item_id for h in fast} & set(excluded)
    _same(fast, exact)


def test_at_most_per_query_hits_the_most_similar(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(descriptors, "PER_QUERY", 5)
    rng = np.random.default_rng(2)
    queries = _unit(rng.standard_normal((4, DIM)))
    _catalogue(db, rng, queries, items=5)
    fast, exact = _both(db, queries)
    assert len(fast) == 4 * 5
    _same(fast, exact)


def test_rows_deleted_after_the_cache_was_built_are_never_returned(db: Database) -> None:
    rng = np.random.default_rng(3)
    queries = _unit(rng.standard_normal((10, DIM)))
    _catalogue(db, rng, queries, items=10)
    fast, _ = _both(db, queries)
    gone = fast[0].item_id
    with db.read() as s:
        stale = descriptor_cache.load(s, ALGORITHM)
    assert stale is not None
    with db.write() as s:  # re-analysis removes an item's descriptors
        s.execute(delete(FrameDescriptor).where(FrameDescriptor.item_id == gone))
    with db.read() as s:  # even searched with the codes as they were before the delete
        hits, dead = descriptors._indexed(s, queries, stale, ALGORITHM, 0.40, [])
    assert hits and gone not in {h.item_id for h in hits} and len(dead)
    fast, exact = _both(db, queries)
    assert gone not in {h.item_id for h in fast}
    _same(fast, exact)
    assert _meta(db)["rows"] < 10 * FRAMES  # the deleted rows met as candidates were dropped


def test_rows_added_after_are_found(db: Database) -> None:
    rng = np.random.default_rng(4)
    queries = _unit(rng.standard_normal((6, DIM)))
    _catalogue(db, rng, queries, items=5)
    _both(db, queries)
    generation = _meta(db)["generation"]
    added = _add_item(db, np.array([_near(rng, q, 0.6) for q in queries]))
    fast, exact = _both(db, queries)
    assert {h.query for h in fast if h.item_id == added} == set(range(6))
    _same(fast, exact)
    meta = _meta(db)
    assert meta["generation"] == generation and meta["rows"] == 5 * FRAMES + 6  # appended


def test_a_last_row_replaced_under_the_same_id_is_seen(db: Database) -> None:
    """SQLite gives the ids of deleted last rows to the next ones: the same id and count, new content."""
    rng = np.random.default_rng(5)
    queries = _unit(rng.standard_normal((4, DIM)))
    _catalogue(db, rng, queries, items=3)
    last = _add_item(db, _unit(rng.standard_normal((4, DIM))))
    _both(db, queries)
    with db.write() as s:
        top = s.scalar(select(func.max(FrameDescriptor.id)))
        rows = s.execute(select(FrameDescriptor).where(FrameDescriptor.item_id == last)).scalars().all()
        for row, q in zip(rows, queries, strict=True):
            row.vector = sscd.pack(_near(rng, q, 0.7))
    with db.read() as s:
        assert s.scalar(select(func.max(FrameDescriptor.id))) == top
    fast, exact = _both(db, queries)
    assert {h.query for h in fast if h.item_id == last} == set(range(4))
    _same(fast, exact)


def test_a_cache_that_cannot_be_written_falls_back_to_the_scan(db: Database, tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    queries = _unit(rng.standard_normal((5, DIM)))
    _catalogue(db, rng, queries, items=3)
    where = _where(db)
    where.parent.mkdir(parents=True, exist_ok=True)
    where.write_text("not a folder")  # as unwritable as a read-only catalogue, even for root
    fast, exact = _both(db, queries)
    assert len(exact) == 5 * 8
    _same(fast, exact)
    with db.read() as s:
        assert descriptor_cache.load(s, ALGORITHM) is None


def test_a_missing_or_damaged_cache_is_rebuilt(db: Database) -> None:
    rng = np.random.default_rng(7)
    queries = _unit(rng.standard_normal((5, DIM)))
    _catalogue(db, rng, queries, items=3)
    _both(db, queries)
    where = _where(db)
    for f in where.glob("*.codes"):
        f.unlink()  # files gone, meta still there: built again
    fast, exact = _both(db, queries)
    _same(fast, exact)
    (where / "meta.json").write_text("{ damaged")
    fast, exact = _both(db, queries)
    _same(fast, exact)
    assert _meta(db)["rows"] == 3 * FRAMES


def test_a_cache_cut_short_is_rebuilt_before_rows_are_appended(db: Database) -> None:
    """Appending after a truncated file would leave rows of zeros that no query ever finds."""
    rng = np.random.default_rng(9)
    queries = _unit(rng.standard_normal((4, DIM)))
    _catalogue(db, rng, queries[:2], items=3)
    _both(db, queries)
    where = _where(db)
    [vectors] = where.glob("*.vectors")
    vectors.write_bytes(vectors.read_bytes()[: descriptor_cache.VECTOR_BYTES * 10])
    _catalogue(db, rng, queries[2:], items=1)  # the copies of the last two queries come after
    fast, exact = _both(db, queries)
    assert len(exact) == 4 * 8
    _same(fast, exact)


def test_a_cache_of_the_earlier_format_is_rebuilt(db: Database) -> None:
    """Caches written before the vectors were kept beside the codes (format 1) are built again."""
    rng = np.random.default_rng(10)
    queries = _unit(rng.standard_normal((4, DIM)))
    _catalogue(db, rng, queries, items=3)
    _both(db, queries)
    where = _where(db)
    for f in where.glob("*.vectors"):
        f.unlink()
    (where / "meta.json").write_text(json.dumps({**_meta(db), "format": 1}))
    fast, exact = _both(db, queries)
    _same(fast, exact)
    assert _meta(db)["format"] == descriptor_cache.FORMAT
    assert [f.stat().st_size for f in where.glob("*.vectors")] == [3 * FRAMES * descriptor_cache.VECTOR_BYTES]


def test_small_catalogues_are_scanned_without_a_cache(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(descriptors, "INDEX_FROM", 10_000)
    rng = np.random.default_rng(8)
    queries = _unit(rng.standard_normal((3, DIM)))
    _catalogue(db, rng, queries, items=2)
    fast, exact = _both(db, queries)
    _same(fast, exact)
    with db.read() as s:
        where = descriptor_cache.directory(s, ALGORITHM)
    assert where is not None and not where.exists()
