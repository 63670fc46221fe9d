"""The compact dense query: a `QueryTable` is the sequence of `QueryRecord`s it was given, in any
way it is built, sent or read, and the matcher reads it as it reads the records."""

from __future__ import annotations

import pickle
import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from evidence.core.frames import QueryRecord
from evidence.core.matching import FrameHit, Target, match_items
from evidence.core.query import QueryTable

VARIANTS = ("canonical", "mirror", "top-left", "center", "rotate90")

records = st.lists(
    st.builds(
        QueryRecord,
        st.floats(0, 1e5, allow_nan=False),
        st.booleans(),
        st.lists(st.tuples(st.sampled_from(VARIANTS), st.binary(min_size=32, max_size=32)), max_size=4).map(
            tuple
        ),
    ),
    max_size=12,
)


@given(records, records)
def test_a_table_is_its_records_however_built(first: list[QueryRecord], second: list[QueryRecord]) -> None:
    table = QueryTable(first)
    assert list(table) == first and len(table) == len(first) and table == first
    assert [table[i] for i in range(-len(first), 0)] == first and table[1:3] == first[1:3]
    joined = QueryTable(first)
    joined.extend(QueryTable(second))  # the second table numbers its variants its own way
    assert list(joined) == first + second
    copy = pickle.loads(pickle.dumps(joined))
    assert list(copy) == first + second
    copy.append(1.0, True, [("new", bytes(32)), ("canonical", b"\x01" * 32)])
    assert copy[-1] == QueryRecord(1.0, True, (("new", bytes(32)), ("canonical", b"\x01" * 32)))
    assert QueryTable.of(table) is table and QueryTable.of(first) == table


@given(records)
def test_arrays_are_the_records_flattened(query: list[QueryRecord]) -> None:
    table = QueryTable(query)
    assert table.times().tolist() == [q.t for q in query]
    assert table.informative().tolist() == [q.informative for q in query]
    assert table.hash_counts().tolist() == [len(q.hashes) for q in query]
    for informative_only in (False, True):
        frame, codes, matrix = table.hash_rows(informative_only=informative_only)
        rows = [
            (i, variant, value)
            for i, q in enumerate(query)
            if q.informative or not informative_only
            for variant, value in q.hashes
        ]
        got = [(int(f), table.variants[c], m.tobytes()) for f, c, m in zip(frame, codes, matrix, strict=True)]
        assert got == rows


def test_only_32_byte_hashes_are_taken() -> None:
    table = QueryTable()
    with pytest.raises(ValueError):
        table.append(0.0, True, [("canonical", bytes(32)), ("mirror", bytes(31))])
    assert len(table) == 0 and table.hash_rows()[2].shape == (0, 32)
    with pytest.raises(IndexError):
        table[0]


def test_the_matcher_reads_a_table_as_it_reads_the_frames() -> None:
    """Strict hits on a few frames establish the alignment; the aligned comparison (which reads
    every query hash) then counts the rest: the same matches from a table and from a list."""
    rng = random.Random(7)
    base = [rng.getrandbits(256).to_bytes(32, "big") for _ in range(40)]
    frames = []
    for i in range(40 * 15):  # 40 s at 15 a second, each second its own picture
        value = base[i // 15]
        hashes = [("canonical", value), ("mirror", value[::-1])]
        if i % 3 == 0:
            hashes.append(("top-left", value[1:] + value[:1]))
        frames.append(QueryRecord(i / 15, i % 50 != 7, tuple(hashes)))

    def stored(second: int) -> tuple[tuple[str, bytes], ...]:  # the query's second, 5 s later
        value = base[second]
        return (("canonical", value), ("top-left", value[1:] + value[:1]))

    targets = {
        3: Target(3, tuple((float(t), stored(t - 5)) for t in range(5, 45))),
        4: Target(4, tuple((float(t), (("canonical", base[(t * 7) % 40]),)) for t in range(20))),
    }
    hits = [FrameHit(15 * (t - 5), 3, float(t), 0) for t in (6, 9, 12, 20)]
    hits += [FrameHit(15 * 25, 3, 30.0, 0, "top-left"), FrameHit(15 * 27, 3, 32.0, 9, "mirror")]
    hits += [FrameHit(15 * s, 4, float(s), 10) for s in (1, 2, 3)]
    table = QueryTable(QueryRecord(f.t, f.informative, f.hashes) for f in frames)
    from_list = match_items(frames, hits, targets)
    assert from_list and from_list[0].item_id == 3 and from_list[0].matched_frames > 30
    assert match_items(table, hits, targets) == from_list
    assert np.array_equal(table.times(), [f.t for f in frames])
