"""Where the footage is inside the frame: the part of the picture that moves over the clip.

A re-broadcast puts the footage somewhere inside a larger picture: a picture-in-picture window in a
studio set, a filmed screen, a letterboxed or pillarboxed interior, the sharp copy over a blurred
enlarged copy of itself (a "blurred-fill" repost). Over the sampled frames the footage changes and its
surround does not (or far less), so the per-pixel standard deviation of luma over the clip marks it.
Describing that region alone, instead of the whole frame, is what lets a copy match its source.

`MotionAccumulator` keeps, per pixel of a copy of each frame shrunk to `WORK_WIDTH` columns
(`cv2.INTER_AREA`), the sum and the sum of squares of luma as float64, and the change between
consecutive frames on a coarse grid, at most `MAX_CHANGES` of them in a buffer made at the start:
the same memory whatever the length of the clip (at most 4 MB, an upright picture's). `region()` then decides,
conservatively (None is always safe: the caller describes the whole frame):

1. At least `MIN_SAMPLES` frames, and the 99th percentile of the std at least `STATIC_STD` luma
   levels: otherwise the clip is (almost) static and there is nothing to find.
2. Moving pixels: std above the larger of Otsu's threshold over the std map (the std of footage and
   of its surround form two populations: still backdrop or black bars near 0, a blurred copy low,
   sharp footage high) and `NOISE_STD` (compression and sensor noise of a still picture).
3. A morphological close with a `CLOSE_KERNEL` square (5 px of 160: it fills the specks and seams of
   flat patches inside the footage but cannot bridge a gap of 5 px or more, so a ticker or a moving
   name strip 10 px below a picture-in-picture window stays a separate component), then the largest
   4-connected component and its bounding rectangle, mapped back to full-frame pixels.
4. The rectangle is accepted only when all of these hold:
   - it covers at most `MAX_AREA` (85 %) of the frame: otherwise the whole frame is the footage;
   - it covers at least `MIN_AREA` (8 %) of the frame and `MIN_SIDE` (64) full pixels on each side:
     a smaller moving part (a strip of a test pattern, a clock, a ticker) is not footage that could
     stand for the picture, and replacing the whole frame by it would lose everything;
   - or, smaller than that, it is a small window: at least `SMALL_AREA` (3 %) of the frame and
     `SMALL_SIDE` (32) full pixels a side, shaped like a picture (width / height within
     `SMALL_ASPECT`, from a little thinner than upright 9:16 to a little wider than 16:9), and clear
     of every edge of the frame (a portrait clip's window in a landscape programme is 4-9 % of it; a
     moving band along the bottom of a tripod shot, a ticker or a strip is not shaped so or placed so);
   - at least `MIN_FILL` (60 %) of its pixels move: a hand-held full-frame clip whose textured parts
     move more than its flat parts gives ragged components that fill their rectangle poorly;
   - the median std outside is at most `MAX_OUTSIDE_RATIO` (½) of the median inside: the surround is
     clearly stiller than the footage (a ticker outside does not move the outside's median);
   - less than `WITH_PICTURE` (½) of its change comes at the moments the rest of the picture changes
     well beyond its usual (`WIDE_FACTOR` times its median change and at least `WIDE_LEVELS` luma
     levels on average): a part that changes only when the whole picture does (a chart on some pages
     of a slide deck, enlarged by a crop or a zoom) is the picture's own content, while footage in a
     window changes between the picture's cuts (slides in a window flip while the programme around
     them stands still). Past `MAX_CHANGES` pairs, every other one kept is dropped and then every
     other one kept: a sample of the whole clip.

5. When no rectangle passes and a ticker runs across the picture (a moving component at least
   `CRAWL_SPAN` of the width long and at most `CRAWL_DEPTH` of the height thick, or a band of rows at
   most that thick each moving along `CRAWL_SPAN` of its length: a window that sits on the ticker with
   no gap makes one component of the two; the band and the row on each side of it, which the
   shrinking shares with its neighbours), steps 3-4 are tried
   again on the pixels above the noise floor alone, the ticker set aside: the ticker moves most of all,
   so Otsu's threshold falls between it and everything else, and footage that moves little (a tripod
   shot, a dark scene, a slide) is left below it, while a still programme frame stays under the floor.

Setting aside a ticker found by its rows changes the region of one of the 1,005 files of the three tune
halves of `bench/dupes` (a window on its ticker, now found) and of no other.

A nearly static clip with a small moving strip is refused by the size rule; a moving strip large
enough to pass it is indistinguishable from a small picture-in-picture and is accepted.

Frames are 8-bit-range pictures (uint8, or floats on 0..255): grey (H x W) or RGB(A) (H x W x 3|4).
Layer 1: numpy, OpenCV and `Box` only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from evidence.core.box import PICTURE_SHAPES, Box

__all__ = [
    "CLOSE_KERNEL",
    "COARSE_WIDTH",
    "CRAWL_DEPTH",
    "CRAWL_SPAN",
    "MAX_AREA",
    "MAX_CHANGES",
    "MAX_OUTSIDE_RATIO",
    "MIN_AREA",
    "MIN_FILL",
    "MIN_SAMPLES",
    "MIN_SIDE",
    "NOISE_STD",
    "SMALL_AREA",
    "SMALL_ASPECT",
    "SMALL_SIDE",
    "STATIC_STD",
    "WIDE_FACTOR",
    "WIDE_LEVELS",
    "WITH_PICTURE",
    "WORK_WIDTH",
    "MotionAccumulator",
    "region_of",
]

WORK_WIDTH: Final = 160
"""Frames are shrunk to this many columns (height in proportion) before the statistics."""
MIN_SAMPLES: Final = 4
"""Fewer frames than this say nothing about motion."""
STATIC_STD: Final = 4.0
"""A clip whose 99th-percentile std (luma levels, 0..255) is below this is static: no region."""
NOISE_STD: Final = 3.0
"""A pixel is never moving at or below this std, whatever Otsu says (noise of a still picture)."""
CLOSE_KERNEL: Final = 5
"""Side of the square closing element, in work pixels: bridges gaps of up to 4 of 160 columns."""
MAX_AREA: Final = 0.85
"""A rectangle larger than this fraction of the frame is the whole frame: no distinct region."""
MIN_AREA: Final = 0.08
"""A rectangle smaller than this fraction of the frame is too small to be the footage."""
MIN_SIDE: Final = 64
"""Nor may either side be shorter than this many full-frame pixels."""
SMALL_AREA: Final = 0.03
"""A smaller rectangle is accepted down to this fraction of the frame when it is a small window ..."""
SMALL_SIDE: Final = 32
"""... at least this many full-frame pixels a side ..."""
SMALL_ASPECT: Final = PICTURE_SHAPES
"""... with its width / height in this range, clear of the frame's edges."""
CRAWL_SPAN: Final = 0.9
"""A moving strip at least this share of the picture long ..."""
CRAWL_DEPTH: Final = 0.12
"""... and at most this share of it thick is a ticker."""
MIN_FILL: Final = 0.60
"""At least this fraction of the rectangle's pixels must be moving."""
MAX_OUTSIDE_RATIO: Final = 0.5
"""The median std outside the rectangle may be at most this fraction of the median inside."""
WITH_PICTURE: Final = 0.5
"""A rectangle with at least this share of its change at the picture's wide changes is no window. On
the footage regions the describer found in the four tune halves of bench/dupes (341 files): a slide
deck's chart, found in a crop, a zoom and an excerpt of the deck and in a near-miss deck, and a small
part of another deck reposted upright, 1.00; the bands of upright text reposts (found first by
`fill_band`, which this does not touch) 0.82-0.97; every picture-in-picture window, filmed screen and
screen recording's moving pane at most 0.44."""
WIDE_FACTOR: Final = 3.0
"""The rest of the picture changes widely at this many times its median change ..."""
WIDE_LEVELS: Final = 2.0
"""... and at least this many luma levels."""
COARSE_WIDTH: Final = 32
"""Columns of the grid on which the change between consecutive frames is kept (rows in proportion, at
most twice as many)."""
MAX_CHANGES: Final = 1024
"""At most this many changes are kept (about 8.5 minutes at two frames a second; 4 kB each at most)."""

_Float = npt.NDArray[np.float64]


class MotionAccumulator:
    """Running per-pixel luma sums of shrunk frames of one size; `region()` is where the footage is."""

    __slots__ = (
        "_changes",
        "_count",
        "_kept",
        "_last",
        "_stride",
        "_sum",
        "_sumsq",
        "coarse_height",
        "height",
        "width",
        "work_height",
        "work_width",
    )

    def __init__(self, width: int, height: int) -> None:
        if width < 1 or height < 1:
            raise ValueError(f"frame size must be positive, not {width}x{height}")
        self.width, self.height = width, height
        self.work_width = WORK_WIDTH
        self.work_height = max(1, round(height * WORK_WIDTH / width))
        shape = (self.work_height, self.work_width)
        self._sum: _Float = np.zeros(shape, dtype=np.float64)
        self._sumsq: _Float = np.zeros(shape, dtype=np.float64)
        self._count = 0
        rows = round(self.work_height * COARSE_WIDTH / WORK_WIDTH)
        self.coarse_height = min(2 * COARSE_WIDTH, max(1, rows))  # however tall the picture
        self._last: npt.NDArray[np.float32] | None = None
        self._changes = np.zeros((MAX_CHANGES, self.coarse_height, COARSE_WIDTH), dtype=np.float16)
        self._kept = 0  # |change| between consecutive frames in the first `_kept`
        self._stride = 1  # every how many pairs one is kept

    @property
    def count(self) -> int:
        """How many frames were added."""
        return self._count

    def add(self, frame: npt.NDArray[Any]) -> None:
        """Fold in one frame: grey (height x width) or RGB/RGBA (height x width x 3|4), 0..255."""
        import cv2

        picture = np.asarray(frame)
        if picture.shape[:2] != (self.height, self.width):
            raise ValueError(f"frame is {picture.shape[1::-1]}, expected {(self.width, self.height)}")
        if picture.ndim == 3 and picture.shape[2] == 1:
            picture = picture[:, :, 0]
        if picture.ndim not in (2, 3) or (picture.ndim == 3 and picture.shape[2] not in (3, 4)):
            raise ValueError(f"expected a grey or RGB(A) frame, got shape {picture.shape}")
        if picture.dtype not in (np.uint8, np.float32):
            picture = picture.astype(np.float32)
        small = cv2.resize(picture, (self.work_width, self.work_height), interpolation=cv2.INTER_AREA)
        if small.ndim == 3:
            code = cv2.COLOR_RGB2GRAY if small.shape[2] == 3 else cv2.COLOR_RGBA2GRAY
            small = cv2.cvtColor(small.astype(np.float32), code)
        luma = small.astype(np.float64)
        self._sum += luma
        self._sumsq += luma * luma
        self._count += 1
        self._keep_change(small.astype(np.float32))

    def _keep_change(self, luma: npt.NDArray[np.float32]) -> None:
        import cv2

        last, self._last = self._last, luma
        if last is None:
            return
        if (self._count - 2) % self._stride:  # the pairs seen so far are `_count - 1`
            return
        size = (COARSE_WIDTH, self.coarse_height)
        change = cv2.resize(np.abs(luma - last), size, interpolation=cv2.INTER_AREA)
        self._changes[self._kept] = change
        self._kept += 1
        if self._kept == MAX_CHANGES:
            half = MAX_CHANGES // 2
            self._changes[:half] = self._changes[0::2]
            self._kept, self._stride = half, self._stride * 2

    def std(self) -> _Float:
        """The per-pixel standard deviation of luma over the frames so far (work size)."""
        if self._count == 0:
            return np.zeros_like(self._sum)
        mean = self._sum / self._count
        variance = self._sumsq / self._count - mean * mean
        return np.sqrt(np.maximum(variance, 0.0))

    def region(self) -> Box | None:
        """The footage rectangle in full-frame pixels, or None when no distinct one is found."""
        if self._count < MIN_SAMPLES:
            return None
        std = self.std()
        if float(np.percentile(std, 99)) < STATIC_STD:
            return None
        moving = _moving_mask(std)
        found = self._accepted(std, moving)
        if found is None:
            # footage that moves little (a still shot, a dark scene) beside a ticker that moves most of
            # all: Otsu's threshold falls between the ticker and the rest; the footage still moves above
            # the noise of a still picture, and a still programme frame does not
            quiet = _moving_mask(std, floor_only=True)
            crawls = _crawls(moving) | _crawls(quiet) | _crawl_rows(moving)
            if crawls.any():
                found = self._accepted(std, _moving_mask(std, ignore=crawls, floor_only=True))
        return found

    def _accepted(self, std: _Float, moving: npt.NDArray[np.bool_]) -> Box | None:
        """The largest moving component's rectangle, when it is plausible footage."""
        found = _largest_rectangle(moving)
        if found is None:
            return None
        x, y, w, h = found
        if not self._plausible(std, moving, x, y, w, h):
            return None
        return self._to_full(x, y, w, h)

    def _plausible(self, std: _Float, moving: npt.NDArray[np.bool_], x: int, y: int, w: int, h: int) -> bool:
        share = (w * h) / std.size
        if share > MAX_AREA:
            return False
        full = self._to_full(x, y, w, h)
        if (share < MIN_AREA or min(full.w, full.h) < MIN_SIDE) and not self._small_window(full, share):
            return False
        if float(moving[y : y + h, x : x + w].mean()) < MIN_FILL:
            return False
        outside = np.ones(std.shape, dtype=bool)
        outside[y : y + h, x : x + w] = False
        inside_median = float(np.median(std[y : y + h, x : x + w]))
        outside_median = float(np.median(std[outside]))
        if outside_median > MAX_OUTSIDE_RATIO * inside_median:
            return False
        return self.share_with_picture(x, y, w, h) < WITH_PICTURE

    def share_with_picture(self, x: int, y: int, w: int, h: int) -> float:
        """The share of the change inside this rectangle (work pixels) that comes at the moments the
        rest of the picture changes widely (0 when there is no rest, or no change, to judge by)."""
        if self._kept < MIN_SAMPLES:
            return 0.0
        sx, sy = COARSE_WIDTH / self.work_width, self.coarse_height / self.work_height
        left, top = int(x * sx), int(y * sy)
        right, bottom = max(left + 1, round((x + w) * sx)), max(top + 1, round((y + h) * sy))
        inside = np.zeros((self.coarse_height, COARSE_WIDTH), dtype=bool)
        inside[top:bottom, left:right] = True
        if inside.all():
            return 0.0
        changes = self._changes[: self._kept].astype(np.float32)
        within, rest = changes[:, inside].mean(axis=1), changes[:, ~inside].mean(axis=1)
        total = float(within.sum())
        if total <= 0:
            return 0.0
        wide = rest >= max(WIDE_FACTOR * float(np.median(rest)), WIDE_LEVELS)
        return float(within[wide].sum()) / total

    def _small_window(self, full: Box, share: float) -> bool:
        """Whether a rectangle under the size floors is still a small window (see step 4)."""
        if share < SMALL_AREA or min(full.w, full.h) < SMALL_SIDE:
            return False
        if not SMALL_ASPECT[0] <= full.w / full.h <= SMALL_ASPECT[1]:
            return False
        return not any(full.touching(self.width, self.height))

    def _to_full(self, x: int, y: int, w: int, h: int) -> Box:
        sx, sy = self.width / self.work_width, self.height / self.work_height
        left, top = round(x * sx), round(y * sy)
        right = min(self.width, round((x + w) * sx))
        bottom = min(self.height, round((y + h) * sy))
        return Box(left, top, right - left, bottom - top)


def _moving_mask(
    std: _Float, ignore: npt.NDArray[np.bool_] | None = None, *, floor_only: bool = False
) -> npt.NDArray[np.bool_]:
    """Pixels whose std is above Otsu's threshold (unless `floor_only`) and the noise floor, closed
    with `CLOSE_KERNEL`; `ignore`d pixels never move."""
    import cv2

    threshold = NOISE_STD
    if not floor_only:
        top = float(np.max(std))
        scaled = np.clip(std * (255.0 / top), 0, 255).astype(np.uint8)
        otsu, _ = cv2.threshold(scaled, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
        threshold = max(float(otsu) * top / 255.0, NOISE_STD)
    mask = (std > threshold).astype(np.uint8)
    if ignore is not None:
        mask[ignore] = 0
    kernel = np.ones((CLOSE_KERNEL, CLOSE_KERNEL), dtype=np.uint8)
    closed = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel)
    result: npt.NDArray[np.bool_] = closed.astype(bool)
    return result


def _crawls(mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Moving components that run across the picture (`CRAWL_SPAN` of its width) and are thin
    (`CRAWL_DEPTH` of its height): a news ticker, a scrolling caption. Footage is never that shape (a
    scroll bar, upright, is part of a screen recording's picture)."""
    import cv2

    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=4)
    h, w = mask.shape
    out = np.zeros(mask.shape, dtype=bool)
    for k in range(1, count):
        if stats[k, cv2.CC_STAT_WIDTH] >= CRAWL_SPAN * w and stats[k, cv2.CC_STAT_HEIGHT] <= CRAWL_DEPTH * h:
            out |= labels == k
    return out


def _crawl_rows(mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Bands of rows that move nearly all along (`CRAWL_SPAN` of each row) and are thin (`CRAWL_DEPTH`
    of the height): a ticker that a window sits on with no gap between them, which makes one component
    of the two, so that `_crawls` does not see the ticker as a strip of its own."""
    h = mask.shape[0]
    full = mask.mean(axis=1) >= CRAWL_SPAN
    out = np.zeros(mask.shape, dtype=bool)
    top = 0
    while top < h:
        if not full[top]:
            top += 1
            continue
        bottom = top
        while bottom < h and full[bottom]:
            bottom += 1
        if bottom - top <= CRAWL_DEPTH * h:
            out[max(0, top - 1) : bottom + 1] = True  # and the rows its edges share with their neighbours
        top = bottom
    return out


def _largest_rectangle(mask: npt.NDArray[np.bool_]) -> tuple[int, int, int, int] | None:
    """Bounding rectangle (x, y, w, h) of the largest 4-connected component of `mask`, if any."""
    import cv2

    count, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=4)
    if count < 2:
        return None
    best = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    x, y, w, h = (int(v) for v in stats[best, :4])
    return x, y, w, h


def region_of(frames: Iterable[npt.NDArray[Any]]) -> Box | None:
    """The footage rectangle of `frames` (all of one size), or None: see `MotionAccumulator.region`."""
    accumulator: MotionAccumulator | None = None
    for frame in frames:
        if accumulator is None:
            accumulator = MotionAccumulator(frame.shape[1], frame.shape[0])
        accumulator.add(frame)
    return None if accumulator is None else accumulator.region()
