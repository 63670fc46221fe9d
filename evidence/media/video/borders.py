"""Black borders (letterbox, pillarbox, windowbox) of a whole clip, found as FFmpeg's cropdetect does.

Statistics are gathered in stored (not yet rotated) orientation: for every analysed frame and every
row and column, the fraction of pixels brighter than `BORDER_LUMA`; a line's score is the maximum of
that fraction over the clip. A line is content once its score exceeds `BRIGHT_FRACTION` (so a line
is border when at least 95 % of its pixels stay dark in every analysed frame, the images module's
rule, robust to noise and to specks); the box runs from the first to the last content line. A bar
thinner than `MIN_BAR` of its side is ignored, and a box that would keep less than `MIN_CONTENT` of
a side (a clip that is nearly all black) means "no border". Uniform frames (black, a white flash)
are left out of the statistics: they say nothing about where the picture ends.

`prescan` learns the box cheaply before the main pass from key frames alone (`skip_frame="NONKEY"`,
only packets flagged key, at most `PRESCAN_FRAMES` of them spread evenly over the clip).
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from evidence.core.box import Box
from evidence.media.image.regions import reduced
from evidence.media.video.decode import Plane, header_duration, iter_frames, luma_plane, open_video, seconds

__all__ = [
    "BORDER_LUMA",
    "BRIGHT_FRACTION",
    "FLAT_SPREAD",
    "MIN_BAR",
    "MIN_CONTENT",
    "PRESCAN_FRAMES",
    "BorderStats",
    "add_border_sample",
    "close_boxes",
    "is_flat",
    "prescan",
    "rotate_box",
]

BORDER_LUMA: Final = 24
"""cropdetect's default `limit`: luma at or under this (0..255, limited or full range) is black."""
BRIGHT_FRACTION: Final = 0.05
"""A row or column is content when more than this fraction of its pixels is brighter in some frame."""
MIN_BAR: Final = 0.02
"""Bars thinner than this fraction of the side are ignored (encoder padding, soft edges)."""
MIN_CONTENT: Final = 0.125
"""A border is only removed if at least this fraction of each side (and 16 px) remains."""
FLAT_SPREAD: Final = 10
"""Flat: the 1st and 99th luma percentiles lie at most this far apart (0..255), as for images."""
PRESCAN_FRAMES: Final = 100
"""At most this many key frames, spread over the clip, are decoded to learn the border up front."""


class BorderStats:
    """Running per-line maxima of the bright-pixel fraction over frames of one size (stored orientation)."""

    __slots__ = ("_cols", "_rows", "frames", "height", "width")

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self._rows = np.zeros(height, dtype=np.float32)
        self._cols = np.zeros(width, dtype=np.float32)
        self.frames = 0

    def add(self, plane: npt.NDArray[np.uint8] | npt.NDArray[np.uint16], shift: int = 0) -> None:
        """Fold in one luma plane (height x width; 8-bit, or 16-bit with `shift` bits above 8)."""
        import cv2

        _, bright = cv2.threshold(plane, (BORDER_LUMA << shift) + (1 << shift) - 1, 1, cv2.THRESH_BINARY)
        bright = bright.astype(np.uint8, copy=False)
        rows = cv2.reduce(bright, 1, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel()
        cols = cv2.reduce(bright, 0, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel()
        np.maximum(self._rows, rows / np.float32(self.width), out=self._rows)
        np.maximum(self._cols, cols / np.float32(self.height), out=self._cols)
        self.frames += 1

    def merge(self, other: BorderStats) -> None:
        """Fold in another accumulator of the same size."""
        np.maximum(self._rows, other._rows, out=self._rows)
        np.maximum(self._cols, other._cols, out=self._cols)
        self.frames += other.frames

    def box(self) -> Box | None:
        """The content box in stored coordinates, or None when there is no border worth removing."""
        if self.frames == 0:
            return None
        top, bottom = _span(self._rows)
        left, right = _span(self._cols)
        if top >= bottom or left >= right:
            return None  # nothing but black: no border to speak of
        top, bottom = _ignore_thin(top, bottom, self.height)
        left, right = _ignore_thin(left, right, self.width)
        if not (_enough(bottom - top, self.height) and _enough(right - left, self.width)):
            return None
        if (top, bottom, left, right) == (0, self.height, 0, self.width):
            return None
        return Box(left, top, right - left, bottom - top)


def _span(scores: npt.NDArray[np.float32]) -> tuple[int, int]:
    content = np.flatnonzero(scores > BRIGHT_FRACTION)
    if content.size == 0:
        return 0, 0
    return int(content[0]), int(content[-1]) + 1


def _ignore_thin(start: int, stop: int, side: int) -> tuple[int, int]:
    limit = MIN_BAR * side
    return (0 if start < limit else start), (side if side - stop < limit else stop)


def _enough(kept: int, side: int) -> bool:
    return kept >= max(16, MIN_CONTENT * side) or kept == side


def rotate_box(box: Box, width: int, height: int, quarter_turns: int) -> Box:
    """`box` in a width x height picture, after `numpy.rot90(picture, quarter_turns)` (counter-clockwise)."""
    for _ in range(quarter_turns % 4):
        # one counter-clockwise turn: column c becomes row (width - 1 - c), row r becomes column r
        box = Box(box.y, width - box.right, box.h, box.w)
        width, height = height, width
    return box


def close_boxes(a: Box | None, b: Box | None, width: int, height: int) -> bool:
    """Whether two boxes differ by at most 2 px (or 0.5 % of the side) on every edge."""
    if a is None or b is None:
        return a is b
    tol_x, tol_y = max(2, width // 200), max(2, height // 200)
    return (
        abs(a.x - b.x) <= tol_x
        and abs(a.right - b.right) <= tol_x
        and abs(a.y - b.y) <= tol_y
        and abs(a.bottom - b.bottom) <= tol_y
    )


def is_flat(luma: Plane, shift: int = 0) -> bool:
    """Whether a luma picture (8-bit, or 16-bit with `shift` bits above 8) is a single colour."""
    import cv2

    if luma.size == 0:
        return True
    source = reduced(luma, 128)  # exact halvings are cheap, any other ratio is not
    small = cv2.resize(np.ascontiguousarray(source), (64, 64), interpolation=cv2.INTER_AREA)
    low, high = percentiles_1_99(small)
    return bool(high - low <= FLAT_SPREAD * (1 << shift))


def percentiles_1_99(values: npt.NDArray[Any]) -> tuple[float, float]:
    """`np.percentile(values, (1, 99))` (its default, linear method), the same floats computed the same
    way from the four order statistics they need: numpy's general path costs about five times more, and
    this runs on every hashed frame."""
    flat = np.ravel(values)
    n = flat.size
    picks: list[tuple[int, int, float]] = []
    for q in (0.01, 0.99):  # numpy's virtual index for its linear method
        virtual = (n - 1) * q
        before = math.floor(virtual)
        if virtual >= n - 1:
            picks.append((n - 1, n - 1, 0.0))
        elif virtual < 0:
            picks.append((0, 0, 0.0))
        else:
            picks.append((before, before + 1, virtual - before))
    ordered = np.partition(flat, sorted({i for pick in picks for i in pick[:2]}))
    low, high = (_lerp(int(ordered[a]), int(ordered[b]), t) for a, b, t in picks)
    return low, high


def _lerp(a: int, b: int, t: float) -> float:
    """numpy's `_lerp`, which interpolates from the nearer end."""
    diff = b - a
    return b - diff * (1 - t) if t >= 0.5 else a + diff * t


def add_border_sample(stats: BorderStats, luma: Plane, shift: int) -> None:
    """Fold a frame into the border statistics unless it is uniform (a white flash says nothing)."""
    if not is_flat(luma, shift):
        stats.add(luma, shift)


def prescan(path: Path) -> BorderStats | None:
    """Border statistics from up to `PRESCAN_FRAMES` key frames spread over the clip."""
    with open_video(path) as (container, stream):
        context = stream.codec_context
        context.skip_frame = "NONKEY"
        time_base = stream.time_base
        duration = header_duration(container, stream)
        stride = (duration / PRESCAN_FRAMES) if duration else Fraction(0)
        due: list[Fraction | None] = [None]

        def select(packet: Any) -> bool:
            if not packet.is_keyframe:
                return False
            when = seconds(packet.pts, time_base)
            if when is None or due[0] is None or when >= due[0]:
                due[0] = None if when is None else when + stride
                return True
            return False

        stats: BorderStats | None = None
        for frame in iter_frames(container, stream, [], select=select):
            if stats is None:
                stats = BorderStats(frame.width, frame.height)
            if (frame.width, frame.height) == (stats.width, stats.height):
                add_border_sample(stats, *luma_plane(frame))
        return stats
