"""Where a filmed screen is: the four straight, slanted sides of a monitor seen at an angle.

A copy filmed off a monitor shows the screen in perspective: its sides lean by a few degrees, so the
window finder of `inset` (upright sides along whole pixel rows and columns) misses it, and footage that
hardly moves (a page, a slide, a night view) gives the moving-region finder nothing. The whole frame,
wall and bezel included, is then described, and the copy no longer looks like its source. The screen's
outline still stands on the mean of the pictures (`inset.EdgeMean`): a closed band of strong edges
where the wall meets the bezel and the bezel meets the picture.

`screen_corners` traces the closed contours of the mean's edges (a luma step of `inset.STRONG`, as an
upright window's sides; where those give no outline, of `SOFT`, half as much: a screen filmed with a
phone is a little out of focus and moves, so its sides can be soft steps on the mean), keeps those that
a quadrilateral
explains (four corners within 2 % of the contour's length, the contour filling `FILLED` of it),
each side at least `inset.MIN_SIDE` of the picture and leaning by at most `LEAN` of its length, the
whole covering `AREA` of the picture (a screen filmed to be seen fills much of the frame; a box of a
page or an app's input field is smaller). Of those, the innermost one that still covers `NESTED` of the
largest is the picture (the bezel's inner edge, or the page a screen shows between margins); its box
runs through the middle of each pair of slanted sides. The describer warps the quadrilateral's four
corners flat (a perspective transform onto the box's size) instead of cutting the box, so the picture
is described as it was shown, not leaning inside a box that takes in a wedge of bezel on one side and
leaves out a wedge of picture on the other. On the filmed copies of
the four tune halves (`bench/dupes/picture_study.py screens`), the warped picture was closer to its
source than the box in 39 of the 41 copies with an outline (mean similarity 0.605 -> 0.649).

Measured on the three tune halves of `bench/dupes` (1,005 files, the described pictures' mean): an
outline in 29 of the 45 filmed-screen copies, 18 of them where neither finder had placed the footage
(those the describer now takes), and in no source; among the other copies only where another finder
had already placed the footage (a picture-in-picture window, a picture between bars) or where the
outline reaches two opposite edges of the frame (the sharp band of other-orientation reposts, which
`fill_band` takes). At `inset.STRONG` (30) then, on the four tune halves (`picture_study.py`, the
first 6 s of each of 1,340 files): an outline in 41 of the 60 filmed copies; the others' sides were
too soft (a gray wall against a dark bezel, blurred) or broken, and their whole frame was described
(mean similarity to the source 0.49). Tracing every file at `SOFT` (15) instead finds an outline in
54 of the 60, but where the strong edges had found one it often takes another (a slide's panel inside
the screen: text copies from 0.63-0.71 down to 0.54-0.64), hence the soft edges only where the strong
give none: 55 of the 60, the 14 new ones warped flat at 0.65-0.83 where their whole frame was at
0.35-0.64 (`night12`'s filmed copy 0.35 -> 0.72); among the 1,280 other files, new outlines only on
the window of three night clips in a programme (dark footage whose window the other finders can miss)
and the sharp band of a repost in the other orientation (`fill_band` takes it first); none on a
source or a distractor.

Layer 1: numpy, OpenCV and `Box` only.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt

from evidence.core.box import PICTURE_SHAPES, Box, Corners
from evidence.media.video.inset import MIN_SIDE, STRONG

__all__ = ["AREA", "FILLED", "LEAN", "NESTED", "SOFT", "screen_corners"]

SOFT: Final = 15.0
"""A pixel is on the outline when its Sobel gradient / 4 (a luma step, 0..255) is at least this."""
AREA: Final = (0.3, 0.85)
"""The outline covers this fraction of the picture."""
LEAN: Final = 0.18
"""A side may lean across by this fraction of its length: a screen filmed a few degrees off square, or
with the phone turned by up to about 10 degrees (tan 10 degrees = 0.176). The picture is warped flat by
its corners, so a larger lean costs its description nothing; what the limit keeps out is a slanted
shape that is no screen."""
FILLED: Final = 0.9
"""The traced contour covers at least this fraction of its quadrilateral (a quadrilateral, not a blob)."""
NESTED: Final = 0.5
"""An inner outline stands for the picture when it covers at least this fraction of the largest one."""

_Quad = npt.NDArray[np.float64]


def screen_corners(mean: npt.NDArray[Any]) -> tuple[Box, Corners] | None:
    """Where a filmed screen's picture is on `mean` (a grey picture, 0..255): the upright box through
    the middle of its slanted sides and its four corners, or None. Traced on the mean's strong edges
    (`inset.STRONG`) and, where they give none, on its soft ones (`SOFT`)."""
    import cv2

    h, w = mean.shape
    if h < 8 or w < 8:
        return None
    picture = np.asarray(mean, dtype=np.float32)
    step = (
        np.hypot(cv2.Sobel(picture, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(picture, cv2.CV_32F, 0, 1, ksize=3))
        / 4
    )
    for least in (STRONG, SOFT):
        inner = _picture_quad(step >= least, w, h)
        if inner is not None:
            break
    else:
        return None
    box = _middle_box(inner)
    aspect = box.w / max(box.h, 1)
    if not PICTURE_SHAPES[0] <= aspect <= PICTURE_SHAPES[1]:
        return None
    tl, tr, br, bl = ((float(x), float(y)) for x, y in inner)
    return box, (tl, tr, br, bl)


def _picture_quad(edges: npt.NDArray[np.bool_], w: int, h: int) -> _Quad | None:
    """Of the closed edge contours that a large, nearly upright quadrilateral explains, the innermost
    that still covers `NESTED` of the largest."""
    import cv2

    contours, _ = cv2.findContours(edges.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    found: list[tuple[float, _Quad]] = []
    for contour in contours:
        length = cv2.arcLength(contour, True)
        if length < 2 * MIN_SIDE * (w + h):
            continue
        corners = cv2.approxPolyDP(contour, 0.02 * length, True).reshape(-1, 2).astype(np.float64)
        if len(corners) != 4 or not cv2.isContourConvex(corners.astype(np.int32)):
            continue
        area = abs(float(cv2.contourArea(corners.astype(np.float32))))
        if not AREA[0] <= area / (w * h) <= AREA[1]:
            continue
        if abs(float(cv2.contourArea(contour))) < FILLED * area:
            continue
        quad = _ordered(corners)
        if _square_enough(quad, w, h):
            found.append((area, quad))
    if not found:
        return None
    largest = max(area for area, _ in found)
    return min((pair for pair in found if pair[0] >= NESTED * largest), key=lambda pair: pair[0])[1]


def _ordered(corners: _Quad) -> _Quad:
    """Top-left, top-right, bottom-right, bottom-left."""
    total, diff = corners.sum(1), corners[:, 0] - corners[:, 1]
    return np.array(
        [
            corners[np.argmin(total)],
            corners[np.argmax(diff)],
            corners[np.argmax(total)],
            corners[np.argmin(diff)],
        ]
    )


def _square_enough(quad: _Quad, w: int, h: int) -> bool:
    """Each side long enough and leaning by at most `LEAN` of its length."""
    tl, tr, br, bl = quad
    for a, b, across_is_y in ((tl, tr, True), (bl, br, True), (tl, bl, False), (tr, br, False)):
        dx, dy = abs(b[0] - a[0]), abs(b[1] - a[1])
        along, across = (dx, dy) if across_is_y else (dy, dx)
        if along < MIN_SIDE * (w if across_is_y else h) or across > LEAN * along:
            return False
    return True


def _middle_box(quad: _Quad) -> Box:
    """The upright box through the middle of each pair of slanted sides."""
    tl, tr, br, bl = quad
    x0, x1 = (tl[0] + bl[0]) / 2, (tr[0] + br[0]) / 2
    y0, y1 = (tl[1] + tr[1]) / 2, (bl[1] + br[1]) / 2
    return Box(round(x0), round(y0), round(x1 - x0), round(y1 - y0))
