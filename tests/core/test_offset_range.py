"""How precisely the pictures place a segment: a still stretch fits a range of offsets, footage that
changes fits about one."""

from __future__ import annotations

import numpy as np

from evidence.core.matching import Segment
from evidence.core.offset_range import offset_range


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def moving(times: np.ndarray, seed: int = 1) -> np.ndarray:
    """Descriptors of footage that changes all the time: similarity falls off over a second or two."""
    rng = np.random.default_rng(seed)
    keys = rng.normal(size=(40, 512))
    at = np.clip(times, 0, 38.999)
    low = np.floor(at).astype(int)
    w = (at - low)[:, None]
    return unit((1 - w) * keys[low] + w * keys[low + 1])


def test_a_piece_of_a_slide_fits_every_offset_the_slide_stays_up_for() -> None:
    rng = np.random.default_rng(2)
    slide, other = rng.normal(size=512), rng.normal(size=512)
    stored_times = np.arange(10.0)  # the deck: one slide for 0-6 s, another from 7 s
    stored = unit(np.array([slide if t <= 6 else other for t in stored_times]))
    query_times = np.arange(0.0, 6.0, 0.5)  # a compilation shows the slide from 2 to 3.5 s
    query = unit(
        np.array(
            [
                slide + rng.normal(scale=0.05, size=512) if 2 <= t <= 3.5 else rng.normal(size=512)
                for t in query_times
            ]
        )
    )
    segment = Segment(2.0, 3.5, 0.5, 2.0)  # the matcher named offset -1.5
    found = offset_range(segment, query_times.tolist(), query, stored_times.tolist(), stored)
    assert found is not None
    low, high = found
    assert low <= -2.0 + 0.5 and high >= 3.0 - 0.5  # the slide is up from 0 to 6 s (and a little on)
    assert low >= -2.5 - 0.01 and high <= 3.0 + 0.5 + 0.01  # not where the next slide shows


def test_footage_that_changes_fits_about_one_offset() -> None:
    stored_times = np.arange(30.0)
    stored = moving(stored_times)
    query_times = np.arange(0.0, 4.0, 0.5)
    query = moving(query_times + 12.0)  # 4 s of it from 12 s on
    found = offset_range(
        Segment(0.0, 3.5, 12.0, 15.5), query_times.tolist(), query, stored_times.tolist(), stored
    )
    assert found is not None
    low, high = found
    assert low <= 12.0 <= high
    assert high - low <= 1.0


def test_a_segment_at_another_speed_is_not_ranged() -> None:
    stored_times = np.arange(30.0)
    query_times = np.arange(0.0, 4.0, 0.5)
    segment = Segment(0.0, 3.5, 12.0, 19.0)  # twice as fast
    found = offset_range(
        segment,
        query_times.tolist(),
        moving(query_times * 2 + 12),
        stored_times.tolist(),
        moving(stored_times),
    )
    assert found is None
