"""Per-picture geometry shared by image and video analysis (numpy only).

`find_border` finds a uniform black or white frame around a picture (letterbox, pillarbox, padding)
on its luma; `is_flat` tells black, white and single-colour pictures, whose hashes carry no
information. Both work on a 2-D luma plane (uint8, or float on the same 0..255 scale).
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt

from evidence.core.box import Box

__all__ = ["BORDER_LINE_FILL", "FLAT_SPREAD", "MIN_CONTENT", "find_border", "is_flat"]

FLAT_SPREAD: Final = 10
"""Flat: the 1st and 99th luma percentiles lie at most this far apart (0..255)."""
BORDER_LINE_FILL: Final = 0.95
"""A row or column is border when at least this fraction of its pixels is border-dark (or -light)."""
MIN_CONTENT: Final = 16
"""A border is only removed if at least this many pixels, and 1/8 of each side, remain."""


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
