"""Per-picture geometry shared by image and video analysis (numpy only).

`find_border` finds a uniform black or white frame around a picture (letterbox, pillarbox, padding)
on its luma; `centred_bars` the bars of a picture set in the middle of a wider or taller one;
`is_flat` tells black, white and single-colour pictures, whose hashes carry no information. All work
on a 2-D luma plane (uint8, or float on the same 0..255 scale).
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt

from evidence.core.box import Box

__all__ = [
    "BAR_LEVEL",
    "BAR_SLACK",
    "BORDER_LINE_FILL",
    "FLAT_SPREAD",
    "MIN_BAR",
    "MIN_CONTENT",
    "centred_bars",
    "find_border",
    "is_flat",
]

FLAT_SPREAD: Final = 10
"""Flat: the 1st and 99th luma percentiles lie at most this far apart (0..255)."""
BORDER_LINE_FILL: Final = 0.95
"""A row or column is border when at least this fraction of its pixels is border-dark (or -light)."""
MIN_CONTENT: Final = 16
"""A border is only removed if at least this many pixels, and 1/8 of each side, remain."""
MIN_BAR: Final = 0.04
"""`centred_bars`: each bar is at least this fraction of the picture's side."""
BAR_SLACK: Final = 0.03
"""`centred_bars`: the two bars of a pair differ by at most this fraction of the side (or 2 pixels)."""
BAR_LEVEL: Final = 4
"""`centred_bars`: the bars' mean luma lies within this many levels of black (0) or white (255). Bars
added by an editor are flat; the dark edges of night footage (mean 6-8 here) are not bars."""


def _border_run(dark: npt.NDArray[np.floating[Any]], light: npt.NDArray[np.floating[Any]]) -> int:
    """How many lines, from index 0 on, are border of the kind the first line is."""
    if dark.size == 0:
        return 0
    if dark[0] >= BORDER_LINE_FILL:
        filled = dark
    elif light[0] >= BORDER_LINE_FILL:
        filled = light
    else:
        return 0
    short = np.flatnonzero(filled < BORDER_LINE_FILL)
    return int(short[0]) if short.size else int(filled.size)


def find_border(luma: npt.NDArray[Any], *, threshold: int = 24, min_fraction: float = 0.02) -> Box | None:
    """The content box inside a uniform black or white border, or None when there is none.

    A line (row or column) is border when `BORDER_LINE_FILL` of its pixels are <= `threshold`
    (dark; 24 is FFmpeg cropdetect's default limit) or >= 255 - `threshold` (light). Each side is
    scanned from the edge inward while its lines are border of the same kind as the outermost one;
    columns are judged between the top and bottom runs. A side's run thinner than `min_fraction` of
    the picture's height (top, bottom) or width (left, right) is left alone. None when no side is
    cut, or when less than `MIN_CONTENT` pixels or 1/8 of a cut side would remain (an all-border
    picture is flat, not framed). For black bars these are the rules `evidence.media.video.borders`
    applies to a whole video, so a screenshot crops as the video's frames do.
    """
    if luma.ndim != 2:
        raise ValueError(f"find_border expects a 2-D luma plane, not shape {luma.shape}")
    height, width = luma.shape
    if height == 0 or width == 0:
        return None
    dark, light = luma <= threshold, luma >= 255 - threshold
    rows_dark, rows_light = dark.mean(axis=1), light.mean(axis=1)
    top = _border_run(rows_dark, rows_light)
    if top >= height:
        return None
    bottom = _border_run(rows_dark[::-1], rows_light[::-1])
    inner = slice(top, height - bottom)
    cols_dark, cols_light = dark[inner].mean(axis=0), light[inner].mean(axis=0)
    left = _border_run(cols_dark, cols_light)
    right = _border_run(cols_dark[::-1], cols_light[::-1]) if left < width else 0
    top, bottom = (run if run >= min_fraction * height else 0 for run in (top, bottom))
    left, right = (run if run >= min_fraction * width else 0 for run in (left, right))
    if top == bottom == left == right == 0:
        return None
    box = Box(left, top, width - left - right, height - top - bottom)
    if not (_enough(box.w, width) and _enough(box.h, height)):
        return None
    return box


def centred_bars(luma: npt.NDArray[Any]) -> Box | None:
    """The picture inside a pair of bars on opposite sides, when it is set in the middle: a portrait
    clip between pillars in a landscape compilation, a 4:3 or cinema-wide piece between bars. Each
    bar is at least `MIN_BAR` of the side and the two of a pair are as wide as each other (within
    `BAR_SLACK`), and the bars are solid black or white (`BAR_LEVEL`); a border on one side only, or
    on three, is not a picture placed in the middle (`find_border`'s rules otherwise). None when there
    are no such bars.
    """
    box = find_border(luma, min_fraction=MIN_BAR)
    if box is None:
        return None
    height, width = luma.shape
    pairs = ((box.x, width - box.right, width), (box.y, height - box.bottom, height))
    for first, second, side in pairs:
        if abs(first - second) > max(2, BAR_SLACK * side):
            return None
    inside = box.crop(luma)
    bar_pixels = luma.size - inside.size
    level = (float(luma.sum(dtype=np.float64)) - float(inside.sum(dtype=np.float64))) / max(1, bar_pixels)
    if BAR_LEVEL < level < 255 - BAR_LEVEL:
        return None
    return box


def _enough(kept: int, side: int) -> bool:
    return kept == side or (kept >= MIN_CONTENT and kept * 8 >= side)


def is_flat(luma: npt.NDArray[Any]) -> bool:
    """Black, white or a single colour: 98 % of the luma lies within `FLAT_SPREAD` levels.

    Judged on an evenly strided sample of at most about 256 x 256 pixels. Empty planes are flat.
    """
    if luma.size == 0:
        return True
    step_y, step_x = max(1, luma.shape[0] // 256), max(1, luma.shape[1] // 256)
    sample = np.asarray(luma[::step_y, ::step_x], dtype=np.float32)
    low, high = np.percentile(sample, [1, 99])
    return bool(high - low <= FLAT_SPREAD)
