"""`centred_bars`: the bars of one picture set in the middle of a wider or taller frame (a portrait piece
between pillars in a landscape compilation), and what is not such bars."""

from __future__ import annotations

import numpy as np
import pytest

from evidence.core.box import Box
from evidence.media.image.geometry import centred_bars


def _content(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A textured luma picture whose every line is mostly mid-grey (never border-like)."""
    rng = np.random.default_rng(seed)
    return rng.integers(60, 200, (height, width), dtype=np.uint8)


def _between(content: np.ndarray, height: int, width: int, level: int = 0) -> np.ndarray:
    out = np.full((height, width), level, dtype=np.uint8)
    h, w = content.shape
    y, x = (height - h) // 2, (width - w) // 2
    out[y : y + h, x : x + w] = content
    return out


@pytest.mark.parametrize("level", [0, 3, 255])
def test_pillars_around_a_portrait_picture_are_found(level: int) -> None:
    luma = _between(_content(224, 126), 224, 398, level)
    assert centred_bars(luma) == Box(136, 0, 126, 224)


def test_bars_above_and_below_a_wide_picture_are_found() -> None:
    luma = _between(_content(150, 398), 224, 398)
    assert centred_bars(luma) == Box(0, 37, 398, 150)


def test_a_full_picture_has_no_bars() -> None:
    assert centred_bars(_content(224, 398)) is None


def test_a_dark_band_on_one_side_is_not_a_pair_of_bars() -> None:
    luma = _content(224, 398)
    luma[:, :80] = 0
    assert centred_bars(luma) is None


def test_bars_of_unequal_width_are_not_a_centred_picture() -> None:
    luma = _content(224, 398)
    luma[:, :60] = 0
    luma[:, -30:] = 0
    assert centred_bars(luma) is None


def test_the_dark_edges_of_night_footage_are_not_bars() -> None:
    """Dark, noisy sides (luma 0-20, mean about 8, as a night sky's) pass `find_border`'s test of a
    border line but are not bars an editor added."""
    rng = np.random.default_rng(1)
    luma = _content(224, 398)
    luma[:, :70] = rng.integers(0, 17, (224, 70))
    luma[:, -70:] = rng.integers(0, 17, (224, 70))
    assert centred_bars(luma) is None
    luma[:, :70] = luma[:, -70:] = 1  # the same sides made flat black are bars
    assert centred_bars(luma) == Box(70, 0, 258, 224)


def test_thin_bars_are_left_alone() -> None:
    luma = _between(_content(224, 384), 224, 398)  # 7 px a side: under 4 % of the width
    assert centred_bars(luma) is None
