"""The frame index: bands in SQL, candidates by band equality, verified by the full Hamming distance."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import pytest
from conftest import PG_ENV, pg_url, reset_postgres
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, insert, select

from evidence.catalogue import hashindex, schema
from evidence.catalogue.engine import Database
from evidence.catalogue.frames import record_frames
from evidence.catalogue.hashindex import BANDS, Hit, band_values, search
from evidence.catalogue.models import FrameHash, HashBand, Item
from evidence.core.frames import FrameRecord, HashRecord

NOW = datetime(2026, 11, 28, tzinfo=UTC)


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(pg_url() is None, reason=f"set {PG_ENV} to run on PostgreSQL"),
        ),
    ]
)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh, migrated, empty catalogue database on each backend."""
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


def _flip(value: bytes, bits: Sequence[int]) -> bytes:
    number = int.from_bytes(value, "big")
    for bit in bits:
        number ^= 1 << bit
    return number.to_bytes(32, "big")


def _distance(a: bytes, b: bytes) -> int:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).bit_count()


def _shared_bands(a: bytes, b: bytes) -> int:
    return sum(x == y for x, y in zip(band_values(a), band_values(b), strict=True))


def _bands_within_one_bit(a: bytes, b: bytes) -> int:
    return sum((x ^ y).bit_count() <= 1 for x, y in zip(band_values(a), band_values(b), strict=True))


def _frame(idx: int, *hashes: tuple[str, bytes], quality: int = 90, flat: bool = False) -> FrameRecord:
    records = tuple(HashRecord(variant, "pdq", 1, value.hex(), quality) for variant, value in hashes)
    return FrameRecord(idx, Fraction(idx), True, quality=quality, flat=flat, hashes=records)


def _item(db: Database, n: int, frames: Sequence[FrameRecord]) -> int:
    """An item holding these frames, recorded as analysis records them (and so indexed)."""
    with db.write() as s:
        row = {"sha256": f"{n:064x}", "size": 1, "kind": "video", "first_catalogued_at": NOW}
        item_id = int(s.scalars(insert(Item).returning(Item.id), [row]).one())
        record_frames(s, item_id, frames, {})
    return item_id


def _random_hashes(rng: random.Random, n: int) -> list[bytes]:
    return [rng.getrandbits(256).to_bytes(32, "big") for _ in range(n)]


def _catalogue(db: Database, stored: Sequence[bytes], per_item: int = 10) -> dict[bytes, int]:
    """Stored hashes as canonical hashes of frames, `per_item` frames an item; returns hash -> item id."""
    where = {}
    for start in range(0, len(stored), per_item):
        chunk = stored[start : start + per_item]
        item_id = _item(db, start, [_frame(i, ("canonical", h)) for i, h in enumerate(chunk)])
        where.update(dict.fromkeys(chunk, item_id))
    return where


def _band_rows(db: Database) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(HashBand)) or 0)


def _found(db: Database, queries: Sequence[bytes], **options: object) -> list[Hit]:
    with db.read() as s:
        return search(s, queries, **options)  # type: ignore[arg-type]


# --- pure -----------------------------------------------------------------------------------------


@given(st.binary(min_size=32, max_size=32))
def test_band_values_round_trip(value: bytes) -> None:
    bands = band_values(value)
    assert len(bands) == BANDS and all(0 <= b < 1 << 16 for b in bands)
    assert b"".join(b.to_bytes(2, "big") for b in bands) == value


@pytest.mark.parametrize("bad", [b"", b"\x00" * 31, b"\x00" * 33])
def test_band_values_refuse_other_lengths(bad: bytes) -> None:
    with pytest.raises(ValueError):
        band_values(bad)


# --- on a database ------------------------------------------------------------------------------


def test_sql_band_values_are_the_python_ones(db: Database) -> None:
    stored = _random_hashes(random.Random(1), 20)
    _catalogue(db, stored)
    with db.read() as s:
        rows = s.execute(
            select(HashBand.band, HashBand.value, FrameHash.value).join(
                FrameHash, FrameHash.id == HashBand.fingerprint_id
            )
        ).all()
    assert len(rows) == BANDS * len(stored)
    for band, value, hex_value in rows:
        assert band_values(bytes.fromhex(hex_value))[band] == value


def test_exact_and_near_are_found_far_are_not(db: Database) -> None:
    rng = random.Random(2)
    stored = _random_hashes(rng, 40)
    items = _catalogue(db, stored)
    target = stored[7]
    near = _flip(target, rng.sample(range(256), 12))
    far = _flip(target, rng.sample(range(256), 60))
    hits = _found(db, [target, near, far])
    assert [(h.query, h.distance, h.item_id) for h in hits] == [(0, 0, items[target]), (1, 12, items[target])]
    assert all(h.variant == "canonical" for h in hits)
    with db.read() as s:
        stored_value = s.scalar(select(FrameHash.value).where(FrameHash.id == hits[0].fingerprint_id))
        frame_of = s.scalar(select(FrameHash.frame_id).where(FrameHash.id == hits[0].fingerprint_id))
    assert stored_value == target.hex() and frame_of == hits[0].frame_id
    assert _found(db, [near], threshold=11) == []
    assert _found(db, []) == []
    with pytest.raises(ValueError):
        _found(db, [target[:31]])
    with pytest.raises(ValueError):
        _found(db, [target], threshold=257)


_STORED = _random_hashes(random.Random(3), 150)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_flipped_bits_property(db: Database, data: st.DataObject) -> None:
    stored = _STORED
    if _band_rows(db) == 0:
        _catalogue(db, stored, per_item=25)
    base = data.draw(st.sampled_from(stored), label="stored hash")
    k = data.draw(st.integers(0, 48), label="bits flipped")
    bits = data.draw(st.lists(st.integers(0, 255), min_size=k, max_size=k, unique=True), label="bits")
    query = _flip(base, bits)
    exact = _found(db, [query], near=False)
    near = _found(db, [query], near=True)
    by_id, item_of = _ids_to_values(db), _items_of_values(db)
    within = {h for h in stored if _distance(h, query) <= 31}
    # two shared bands make a candidate; one does when the stored hash's item has a hit already
    strong = {h for h in within if _shared_bands(h, query) >= 2}
    found_items = {item_of[h] for h in strong}
    assert {by_id[h.fingerprint_id] for h in exact} == strong | {
        h for h in within if _shared_bands(h, query) == 1 and item_of[h] in found_items
    }
    assert {by_id[h.fingerprint_id] for h in near} == {
        h for h in within if _bands_within_one_bit(h, query) >= 2
    }
    assert all(h.distance == _distance(by_id[h.fingerprint_id], query) <= 31 for h in exact + near)
    if k <= 14:
        assert base in {by_id[h.fingerprint_id] for h in exact}
    if k <= 29:
        assert base in {by_id[h.fingerprint_id] for h in near}


def _ids_to_values(db: Database) -> dict[int, bytes]:
    with db.read() as s:
        return {i: bytes.fromhex(v) for i, v in s.execute(select(FrameHash.id, FrameHash.value))}


def _items_of_values(db: Database) -> dict[bytes, int]:
    with db.read() as s:
        return {bytes.fromhex(v): i for v, i in s.execute(select(FrameHash.value, FrameHash.item_id))}


def test_a_stored_hash_sharing_one_band_is_verified_only_in_an_item_found_already(db: Database) -> None:
    """A clip's lookup (exact probing) takes a stored hash that shares a single band with a query hash
    only when its item has a hit: otherwise every row that shares a band value by chance (about 150 a
    value at 10 M fingerprints) would be fetched and verified. Near probing is not changed."""
    rng = random.Random(8)
    stored, other = _random_hashes(rng, 2)
    item = _item(db, 1, [_frame(0, ("canonical", stored)), _frame(1, ("canonical", other))])
    # two bits flipped in each band but the first: distance 30, one band in common
    query = _flip(stored, [16 * band + bit for band in range(1, BANDS) for bit in (3, 11)])
    assert _distance(query, stored) == 30 and _shared_bands(query, stored) == 1
    assert _found(db, [query], near=False) == []
    # once another query hash finds the item, the stored hash is verified and found
    hits = _found(db, [query, _flip(other, [5, 77])], near=False)
    assert [(h.query, h.item_id, h.distance) for h in hits] == [(0, item, 30), (1, item, 2)]
    # a stranger in the query leaves the item as it was
    assert _found(db, [query, *_random_hashes(rng, 3)], near=False) == []


def test_a_batch_finds_what_single_queries_find(db: Database) -> None:
    rng = random.Random(4)
    stored = _random_hashes(rng, 60)
    _catalogue(db, stored)
    flips = [rng.randrange(0, 32) for _ in range(40)]
    queries = [_flip(h, rng.sample(range(256), k)) for h, k in zip(stored, flips, strict=False)]
    queries += _random_hashes(rng, 20) + queries[:5]  # strangers and repeats
    for near in (False, True):
        batch = _found(db, queries, near=near)
        one_by_one = [
            Hit(i, h.fingerprint_id, h.item_id, h.frame_id, h.variant, h.distance)
            for i, q in enumerate(queries)
            for h in _found(db, [q], near=near)
        ]
        # a batch finds what each query finds alone; exact probing may find more: a stored hash that
        # shares one band with a query is verified once another query has found its item
        assert set(one_by_one) <= set(batch) and (near or len(batch) > len(one_by_one))
        assert batch == sorted(batch, key=lambda h: (h.query, h.distance, h.fingerprint_id))
        found_items = {h.item_id for h in one_by_one}
        assert all(h.item_id in found_items for h in set(batch) - set(one_by_one))
        assert {h.query for h in batch} >= {i for i, k in enumerate(flips) if k <= 14}


def test_small_search_batches_and_a_matrix_find_the_same(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long clip's query is searched a batch of distinct hashes at a time: the hits do not change
    (repeated hashes, a static shot's, included), and a uint8 matrix is the same query as the bytes.
    (Band equality verifies a single-band hash when its item has a hit in the same batch; none of
    these queries' hits depends on a hit in another batch.)"""
    import numpy as np

    rng = random.Random(6)
    stored = _random_hashes(rng, 60)
    where = _catalogue(db, stored)
    queries = [_flip(h, rng.sample(range(256), rng.randrange(0, 24))) for h in stored[:40]]
    queries = [*queries, *_random_hashes(rng, 10), *queries[:5], *([stored[7]] * 30)]
    matrix = np.frombuffer(b"".join(queries), dtype=np.uint8).reshape(len(queries), 32)
    for options in ({"near": False}, {"near": True}, {"exclude_items": [where[stored[0]]]}):
        whole = _found(db, queries, **options)
        assert whole and _found(db, matrix, **options) == whole  # type: ignore[arg-type]
        monkeypatch.setattr(hashindex, "SEARCH_BATCH", 7)
        assert _found(db, queries, **options) == whole
        monkeypatch.undo()
    with pytest.raises(ValueError):
        _found(db, matrix[:, :31])  # type: ignore[arg-type]


def test_excluded_items_and_variants(db: Database) -> None:
    rng = random.Random(5)
    canonical, raw = _random_hashes(rng, 2)
    first = _item(db, 1, [_frame(0, ("canonical", canonical), ("raw", raw))])
    second = _item(db, 2, [_frame(0, ("canonical", _flip(canonical, [3, 70])))])
    hits = _found(db, [canonical, raw])
    assert [(h.query, h.item_id, h.variant, h.distance) for h in hits] == [
        (0, first, "canonical", 0),
        (0, second, "canonical", 2),
        (1, first, "raw", 0),
    ]
    assert {h.item_id for h in _found(db, [canonical, raw], exclude_items=[first])} == {second}
    assert _found(db, [canonical, raw], exclude_items={first, second}) == []
    assert [(h.query, h.variant) for h in _found(db, [canonical, raw], variants={"raw"})] == [(1, "raw")]
    assert _found(db, [canonical], variants=()) == []


def test_only_informative_indexed_variants_are_indexed(db: Database) -> None:
    rng = random.Random(6)
    a, b, c, d, e = _random_hashes(rng, 5)
    _item(db, 1, [_frame(0, ("canonical", a), ("raw", b), ("rotate90", c))])
    _item(db, 2, [_frame(0, ("canonical", d), quality=10)])  # too flat to be evidence
    _item(db, 3, [_frame(0, ("canonical", e), flat=True)])
    assert _band_rows(db) == 2 * BANDS
    assert {h.query for h in _found(db, [a, b, c, d, e])} == {0, 1}


def test_rebuild_gives_the_same_results(db: Database) -> None:
    rng = random.Random(7)
    stored = _random_hashes(rng, 50)
    _catalogue(db, stored)
    _item(db, 999, [_frame(0, ("canonical", _random_hashes(rng, 1)[0]), flat=True)])
    queries = [_flip(h, rng.sample(range(256), 20)) for h in stored[:30]]
    before, rows_before = _found(db, queries), _band_rows(db)
    with db.write() as s:
        assert hashindex.rebuild(s) == rows_before == BANDS * len(stored)
    assert _band_rows(db) == rows_before and _found(db, queries) == before
    with db.write() as s:
        ids = list(s.scalars(select(FrameHash.id)))
        assert hashindex.index_fingerprints(s, ids) == rows_before  # a repeat replaces, never doubles
    assert _band_rows(db) == rows_before and _found(db, queries) == before


def test_recording_frames_again_leaves_no_stale_band_rows(db: Database) -> None:
    rng = random.Random(8)
    old, new, other = _random_hashes(rng, 3)
    item = _item(db, 1, [_frame(0, ("canonical", old), ("raw", _flip(old, [1])))])
    keep = _item(db, 2, [_frame(0, ("canonical", other))])
    assert _band_rows(db) == 3 * BANDS
    with db.write() as s:
        record_frames(s, item, [_frame(0, ("canonical", new)), _frame(1, ("canonical", _flip(new, [9])))], {})
    assert _band_rows(db) == 3 * BANDS
    assert _found(db, [old]) == []
    assert {(h.item_id, h.distance) for h in _found(db, [new])} == {(item, 0), (item, 1)}
    with db.write() as s:
        record_frames(s, item, [], {})
    assert _band_rows(db) == BANDS
    assert [h.item_id for h in _found(db, [other])] == [keep]
    with db.read() as s:
        stale = s.scalar(
            select(func.count())
            .select_from(HashBand)
            .where(~HashBand.fingerprint_id.in_(select(FrameHash.id)))
        )
    assert stale == 0
