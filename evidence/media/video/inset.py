"""Where a picture placed inside the frame is, from its straight sides: for footage that hardly moves.

The moving-region finder (`moving_region`) sees a picture-in-picture window, a filmed screen or a
letterboxed interior because the footage moves and its surround does not. Footage that hardly moves
(a slide, a screen recording of a page, a night view from a tripod) gives it nothing to see, and such a
window is then described together with the programme around it: the copy no longer looks like its
source. What such a window still has is its frame: four straight sides where the picture meets the
set behind it, sharp on every frame, so sharp on the mean of the frames too, while the edges inside
moving footage blur away in the mean.

`EdgeMean` keeps the running sum of grey pictures (the described pictures, short side about 224 px)
and `inset_rectangle` finds, on their mean, the largest rectangle whose four sides are strong edges
(a luma step of at least `STRONG` levels, Sobel/4) along at least `SUPPORT` of their length, each side
at least `MIN_SIDE` of the picture's width or height, covering `AREA` of the picture, shaped like a
picture (width / height within `core.box.PICTURE_SHAPES`: a slide's title bar is framed too).
Candidate sides are the `KEEP` longest edge rows and columns. A side may wobble by one pixel.

Measured on the tune half of `bench/dupes` (the described pictures' mean, 2 frames a second): a
rectangle in 7 of 15 picture-in-picture copies, 3 of 15 filmed screens, 5 of 15 other-orientation
reposts (the sharp band over its blurred fill, which spans the frame: `fill_band` takes it), the picture
between the bars of one `bars` copy, and none in the 15 sources or the 240 other copies,
compilations and distractors.

`meets_set(mean, box)` asks the weaker question of a rectangle found by motion: does it meet the set
along at least one lasting edge? A window does (a luma step of `SIDE_STEP` along `SIDE_SUPPORT` of one
side that lies inside the picture); a moving part of a scene shot from a tripod (people walking along
the bottom, traffic in a corner) does not: the still scene continues across its sides. Measured on the
tune half of `bench/dupes`: the best inner side of the 58 real moving regions the describer used held
0.33-1.00 of its length on such an edge in windows, screens and screen recordings' content areas, and
0.00 in the two false regions (a walking group in a rotated static shot, a zoomed night street).

Layer 1: numpy, OpenCV and `Box` only.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt

from evidence.core.box import PICTURE_SHAPES, Box

__all__ = [
    "AREA",
    "KEEP",
    "MIN_SIDE",
    "SIDE_STEP",
    "SIDE_SUPPORT",
    "STRONG",
    "SUPPORT",
    "EdgeMean",
    "inset_rectangle",
    "meets_set",
]

STRONG: Final = 30.0
"""A pixel is on an edge when its Sobel gradient / 4 (a luma step, 0..255) is at least this."""
SUPPORT: Final = 0.85
"""A side holds when this fraction of its length is on an edge."""
MIN_SIDE: Final = 0.15
"""Each side is at least this fraction of the picture's width (top and bottom) or height (left, right)."""
AREA: Final = (0.08, 0.85)
"""The rectangle covers this fraction of the picture: smaller is not footage, larger is the picture."""
KEEP: Final = 48
"""Candidate columns and rows: the ones with the longest edges (48^4 rectangles are tried at most)."""
MIN_FRAMES: Final = 4
"""A mean of fewer frames says nothing about which edges stay."""
SIDE_STEP: Final = 15.0
"""`meets_set`: a luma step (Sobel / 4) of at least this within `SIDE_WOBBLE` px of a side is an edge."""
SIDE_SUPPORT: Final = 0.2
"""`meets_set`: the best inner side holds when this fraction of its length is on such an edge."""
SIDE_WOBBLE: Final = 2

_Float = npt.NDArray[np.float64]


class EdgeMean:
    """The running mean of grey pictures of one size, and the sharpest each pixel has been (the largest
    absolute Laplacian over the pictures): constant memory, whatever the clip's length."""

    __slots__ = ("_count", "_sharpest", "_sum")

    def __init__(self) -> None:
        self._sum: _Float | None = None
        self._sharpest: npt.NDArray[np.float32] | None = None
        self._count = 0

    def add(self, grey: npt.NDArray[np.uint8]) -> None:
        """Fold in one grey picture (every picture of a clip has the same size)."""
        import cv2

        if self._sum is None or self._sharpest is None:
            self._sum = np.zeros(grey.shape, dtype=np.float64)
            self._sharpest = np.zeros(grey.shape, dtype=np.float32)
        elif self._sum.shape != grey.shape:
            raise ValueError(f"picture is {grey.shape[::-1]}, expected {self._sum.shape[::-1]}")
        self._sum += grey
        laplacian = np.abs(cv2.Laplacian(np.asarray(grey, dtype=np.float32), cv2.CV_32F))
        np.maximum(self._sharpest, laplacian, out=self._sharpest)
        self._count += 1

    def sharpest(self) -> npt.NDArray[np.float32] | None:
        """The largest absolute Laplacian of each pixel so far, or None with fewer than `MIN_FRAMES`:
        near zero where every picture is blurred (a repost's blurred fill) or plain."""
        if self._sharpest is None or self._count < MIN_FRAMES:
            return None
        return self._sharpest

    def mean(self) -> npt.NDArray[np.float32] | None:
        """The mean picture so far, or None while it says nothing (fewer than `MIN_FRAMES`)."""
        if self._sum is None or self._count < MIN_FRAMES:
            return None
        return (self._sum / self._count).astype(np.float32)

    def rectangle(self) -> Box | None:
        """The inset on the mean picture so far, in its pixels, or None."""
        mean = self.mean()
        return None if mean is None else inset_rectangle(mean)


def meets_set(mean: npt.NDArray[Any], box: Box) -> bool:
    """Whether one side of `box` that lies inside `mean` (a grey picture, 0..255) is a luma step of
    `SIDE_STEP` along `SIDE_SUPPORT` of its length; True for a box with no side inside."""
    import cv2

    h, w = mean.shape
    picture = np.asarray(mean, dtype=np.float32)
    across = np.abs(cv2.Sobel(picture, cv2.CV_32F, 1, 0, ksize=3)) / 4 >= SIDE_STEP
    down = np.abs(cv2.Sobel(picture, cv2.CV_32F, 0, 1, ksize=3)) / 4 >= SIDE_STEP
    slack_x, slack_y = max(2, w // 50), max(2, h // 50)
    x0, y0 = max(0, box.x), max(0, box.y)
    x1, y1 = min(w, box.right), min(h, box.bottom)
    if x1 <= x0 or y1 <= y0:
        return False
    shares = []
    for x in (box.x, box.right):
        if slack_x < x < w - slack_x:
            near = across[y0:y1, max(0, x - SIDE_WOBBLE) : x + SIDE_WOBBLE + 1]
            shares.append(float(near.any(axis=1).mean()))
    for y in (box.y, box.bottom):
        if slack_y < y < h - slack_y:
            near = down[max(0, y - SIDE_WOBBLE) : y + SIDE_WOBBLE + 1, x0:x1]
            shares.append(float(near.any(axis=0).mean()))
    return not shares or max(shares) >= SIDE_SUPPORT


def inset_rectangle(mean: npt.NDArray[Any]) -> Box | None:
    """The largest rectangle of `mean` (a grey picture, 0..255) whose four sides are strong edges."""
    import cv2

    h, w = mean.shape
    if h < 8 or w < 8:
        return None
    picture = np.asarray(mean, dtype=np.float32)
    vertical = np.abs(cv2.Sobel(picture, cv2.CV_32F, 1, 0, ksize=3)) / 4 >= STRONG
    horizontal = np.abs(cv2.Sobel(picture, cv2.CV_32F, 0, 1, ksize=3)) / 4 >= STRONG
    vertical[:, 1:] |= vertical[:, :-1]  # a side may wobble by a pixel
    horizontal[1:, :] |= horizontal[:-1, :]
    down = np.vstack([np.zeros((1, w), np.int32), vertical.astype(np.int32).cumsum(0)])
    across = np.hstack([np.zeros((h, 1), np.int32), horizontal.astype(np.int32).cumsum(1)])
    xs = np.flatnonzero(vertical[:, 1 : w - 1].sum(0) >= MIN_SIDE * h) + 1
    ys = np.flatnonzero(horizontal[1 : h - 1, :].sum(1) >= MIN_SIDE * w) + 1
    xs = np.sort(xs[np.argsort(-vertical[:, xs].sum(0), kind="stable")[:KEEP]])
    ys = np.sort(ys[np.argsort(-horizontal[ys, :].sum(1), kind="stable")[:KEEP]])
    if len(xs) < 2 or len(ys) < 2:
        return None
    height = (ys[None, :] - ys[:, None]).astype(np.float32)  # [top, bottom]
    width = (xs[None, :] - xs[:, None]).astype(np.float32)  # [left, right]
    # sides[top, bottom, x]: column x is an edge along SUPPORT of the rows top..bottom
    sides = (down[ys][None, :, :] - down[ys][:, None, :])[:, :, xs] >= SUPPORT * height[:, :, None]
    rows = across[ys][:, xs]
    # edges[y, left, right]: row y is an edge along SUPPORT of the columns left..right
    edges = (rows[:, None, :] - rows[:, :, None]) >= SUPPORT * width[None, :, :]
    closed = sides[:, :, :, None] & sides[:, :, None, :] & edges[:, None, :, :] & edges[None, :, :, :]
    share = height[:, :, None, None] * width[None, None, :, :] / (w * h)
    big = (height[:, :, None, None] >= MIN_SIDE * h) & (width[None, None, :, :] >= MIN_SIDE * w)
    aspect = width[None, None, :, :] / np.maximum(height[:, :, None, None], 1.0)
    shaped = (aspect >= PICTURE_SHAPES[0]) & (aspect <= PICTURE_SHAPES[1])  # a title bar is no picture
    valid = closed & big & shaped & (share >= AREA[0]) & (share <= AREA[1])
    if not valid.any():
        return None
    top, bottom, left, right = np.unravel_index(int(np.argmax(np.where(valid, share, 0))), share.shape)
    return Box(int(xs[left]), int(ys[top]), int(xs[right] - xs[left]), int(ys[bottom] - ys[top]))
