"""Where the footage is in a repost over a blurred fill: the sharp band between two blurred margins.

A clip reposted in the other orientation (a landscape clip in a 9:16 frame, a portrait one in 16:9)
is usually laid over an enlarged, blurred and often dimmed copy of itself. The moving-region finder
sees the sharp band when the footage moves, but the band spans the frame from edge to edge, which the
describer otherwise refuses (a band of motion under a still sky is the footage itself), and footage
that hardly moves (a tripod shot, a slide) gives it nothing to see, or only a small moving part inside
the band. The whole frame is then described, blur and all, or a piece of the band, and the copy no
longer looks like its source.

What marks such a band on every frame is that everything outside it is blurred: the absolute
Laplacian of the pictures is high across the band and near zero in the margins on every picture,
while the band's two long sides are straight edges on the mean picture, where the sharp picture meets
its blurred copy (the copy is enlarged, so the two do not line up; dimmed, it is darker). A slide or a
still scene with plain margins has the first but not the second: its background runs on across the
text's edge.

`fill_band(mean, sharpest)` looks for the band across the frame's short side (rows of a portrait
frame, columns of a landscape one; a square frame, both). Sides are rows whose horizontal edges (a
luma step of `inset.SIDE_STEP`, Sobel / 4, a row's wobble allowed) run along `SIDE_SUPPORT` of the
width, at least `MARGIN` of the height from the frame's edges; the outermost two are the band's (a
blurred fill has no straight edge of its own; lines of text inside a slide are edges too, inside the
band). The band counts when it covers `AREA` of the frame, is footage of the other orientation (wider
than tall in a tall frame, up to `core.box.PICTURE_SHAPES`), and both margins are blurred: the median
over a margin's rows (beyond `SIDE_ROWS` of the side) of each row's 90th-percentile sharpness is at
most `BLURRED` of the band's. Sharpness is the largest absolute Laplacian each pixel had on any picture
(`EdgeMean.sharpest`), so a compilation whose other pieces fill the frame has no blurred margins.

Measured on the three tune halves of `bench/dupes` (1,005 files, the described pictures): two sides
that frame a band of footage's shape in 20 of the 45 other-orientation copies and in one other file
(a compilation whose margins are 2.5 times as sharp as its band); the margins' sharpness was at most
0.12 of the band's in 19 of those copies and 0.25 in the 20th (a still scene with a plain sky, whose
band is not very sharp either). So `BLURRED` is 0.5, twice what the copies reach and a fifth of what
the compilation has: a band in 20 copies and in no other file. The other copies are
described as before: a dark picture, or a fill dimmed little, leaves sides too faint along part of
the width.

Layer 1: numpy, OpenCV and `Box` only.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt

from evidence.core.box import PICTURE_SHAPES, Box
from evidence.media.video.inset import SIDE_STEP

__all__ = ["AREA", "BLURRED", "MARGIN", "SIDE_ROWS", "SIDE_SUPPORT", "fill_band"]

SIDE_SUPPORT: Final = 0.85
"""A row is a side of the band when a luma step runs along this fraction of the frame's width."""
MARGIN: Final = 0.04
"""Each blurred margin is at least this fraction of the frame's height (no margin: no fill)."""
AREA: Final = (0.15, 0.85)
"""The band covers this fraction of the frame."""
BLURRED: Final = 0.5
"""A margin is blurred when its rows' median sharpness is at most this fraction of the band's."""
SIDE_ROWS: Final = 3
"""Rows next to a side that belong to the side's own step (not to the margin)."""


def fill_band(mean: npt.NDArray[Any], sharpest: npt.NDArray[Any]) -> Box | None:
    """The sharp band of a repost over its blurred copy, on `mean` (a grey picture, 0..255) and
    `sharpest` (the largest absolute Laplacian of each pixel over the same pictures), or None."""
    h, w = mean.shape
    if sharpest.shape != mean.shape:
        raise ValueError(f"sharpness is {sharpest.shape[::-1]}, the mean {mean.shape[::-1]}")
    mean, sharpest = np.asarray(mean, np.float32), np.asarray(sharpest, np.float32)
    found: Box | None = None
    if h >= w:
        found = _rows_band(mean, sharpest)
    if found is None and w >= h:
        across = _rows_band(mean.T, sharpest.T)
        found = None if across is None else Box(across.y, across.x, across.h, across.w)
    return found


def _rows_band(mean: npt.NDArray[np.float32], sharpness: npt.NDArray[np.float32]) -> Box | None:
    """`fill_band` for a band of rows across the whole width."""
    import cv2

    h, w = mean.shape
    if h < 16 or w < 16:
        return None
    step = np.abs(cv2.Sobel(mean, cv2.CV_32F, 0, 1, ksize=3)) / 4 >= SIDE_STEP
    step[1:, :] |= step[:-1, :]  # a side may wobble by a row
    support = step.mean(axis=1)
    margin = max(2, round(MARGIN * h), SIDE_ROWS + 1)
    ys = [y for y in range(margin, h - margin + 1) if support[y] >= SIDE_SUPPORT]
    if len(ys) < 2:
        return None
    # the outermost sides: a blurred fill has no straight edge of its own, so no side lies beyond them
    # (lines of text inside a slide are edges across it too, and are inside the band)
    top, bottom = ys[0], ys[-1]
    tall = bottom - top
    if not AREA[0] <= tall / h <= AREA[1] or not 1.0 <= w / tall <= PICTURE_SHAPES[1]:
        return None  # footage of the other orientation: wider than tall in a tall frame
    rows = np.percentile(sharpness, 90, axis=1)
    inside = float(np.median(rows[top:bottom]))
    outside = max(float(np.median(rows[: top - SIDE_ROWS])), float(np.median(rows[bottom + SIDE_ROWS :])))
    if inside <= 0 or outside > BLURRED * inside:
        return None
    return Box(0, top, w, tall)
