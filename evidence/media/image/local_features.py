"""Do two pictures show the same scene? Matching points (ORB keypoints, Lowe's ratio test) that one
plane mapping (a homography, found with MAGSAC) explains: a crop, a zoom, a rotation, a picture inside
another and a screen filmed at an angle are each one such mapping, and a mirrored copy is one after a
flip. Unrelated pictures that merely look alike (another city's night skyline, another page set in
the same type) share textures, not points in the same places.

Graphics laid over unrelated footage (a channel's lower third and logo, a news programme's studio
around a picture) are points in the same places too, at the same pixels of both pictures: when both
pictures are whole frames (`overlays_possible`), a mapping that leaves every point where it was is set
aside and the points it explains are taken out before looking for another (the footage inside a
programme frame, scaled and moved), unless the pictures themselves agree all but everywhere at those
pixels (`AGREE` of their textured cells correlate): then it is the same footage in place (a
compilation's piece of an unedited clip, a re-encode), whereas graphics around other footage leave the
footage's cells unlike (on the tune half, clips in one programme frame, under one logo, in one phone
frame: 0.12-0.69 of the cells agree; copies in place 0.80-1.00). An edited copy that PDQ cannot see
has moved: cropped, zoomed, turned, mirrored, placed or filmed. A mapping whose points lie in a
thin strip or a corner of both pictures (a ticker's text scrolled along, a logo) is set aside the same
way (footage spreads over a picture, if only as a band or a column: `SPREAD`), and so is one that
shears or stretches the picture one way (`STRETCH`): that is two graphics explained at once (a logo in
place above a ticker moved along), not an edit of footage.

Measured on bench/dupes' tune half (grey pictures at 360 px on the short side, three aligned frame
pairs): copies 25-450 points, unrelated look-alikes at most 44 and then in one pair of three. Corners
are taken from a low contrast on (`FAST`): a blurred or hazy copy of a plain scene (sea and sky) has
few at OpenCV's default of 20; on the tune half, one aligned frame pair each of 105 copies (crops,
zooms, turns, mirrors, other orientation, filmed, picture in picture) mapped with 30 points or more in
93 cases (87 at 20), and none of 45 pairs of look-alike sources did. The caller decides what count is
enough (`core.descriptor_match.DescriptorParams.inliers`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

import numpy as np
import numpy.typing as npt

SHORT_SIDE: Final = 360  # pictures are compared at this size (short side, pixels)
ENLARGED: Final = 200
"""A smaller picture (short side, pixels) is enlarged to this before its points are found: ORB keeps
31 px clear of the edges at each of its scales, so the footage of a portrait clip in a small window of a
programme (63 x 143 px) has almost none. Measured on the tune half's `screen2__pip`: 0 points mapped
with its source's frames as it is, 83-136 enlarged (four moments); 0 either way against five unrelated
screen, text and portrait sources."""
FEATURES: Final = 1000
FAST: Final = 5  # the contrast (grey levels) from which a pixel is a corner
RATIO: Final = 0.8  # a point's best match must be this much closer than its second best
REPROJECTION: Final = 4.0  # pixels
MIN_MATCHES: Final = 8
SCALE_RANGE: Final = (0.1, 10.0)  # what a plausible mapping does to areas
STILL: Final = 0.02  # a mapping that moves no point further than this share of the picture leaves it
SPREAD: Final = 0.2
"""The middle 80 % of a mapping's points spans this share of a picture one way, and half of it the other:
a ticker's line of text or a logo is narrower (a line is a few hundredths high), whereas footage whose
detail sits in a band or a column (the lit windows of a night street, a page's left-aligned lines of
text) spans 0.1-0.2 across. On the four tune halves of bench/dupes (an aligned frame pair of every
single-source copy and its source; sources of one half, and its template distractors, against each
other), asking for 0.2 both ways mapped 995 of the 1,140 copy pairs and this rule 1,043 (the new ones
text pages cropped, zoomed, turned, filmed or merely re-encoded, night streets, screen recordings),
and neither rule mapped any of 840 unrelated source pairs or 840 distractor pairs
(`bench/dupes/points_study.py`)."""
MODELS: Final = 3  # mappings tried, each on the points the ones set aside did not explain
STRETCH: Final = 1.2  # the most a mapping may stretch one way more than the other (singular values)
CELLS: Final = 8  # pictures in place are compared on a grid of CELLS x CELLS
TEXTURED: Final = 8.0  # a cell says something when its grey levels spread this much (standard deviation)
CORRELATED: Final = 0.5  # a cell agrees when the two pictures' grey levels correlate this much there
GLANCE: Final = 32  # pictures are compared at a glance (which frame is the same moment) at this size
AGREE: Final = 0.8  # the share of textured cells that must agree for a mapping in place to be footage

U8 = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class Points:
    """A picture's ORB keypoints and descriptors, as it is and mirrored, and its size."""

    width: int
    height: int
    direct: tuple[Any, Any]
    mirrored: tuple[Any, Any]
    picture: U8 | None = None  # the grey picture, compared cell by cell where points stay in place


@cache
def _orb() -> Any:
    import cv2

    return cv2.ORB.create(FEATURES, fastThreshold=FAST)


def points(picture: U8, *, mirrored: bool = True) -> Points:
    """The points of a grey picture (computed once, compared with many); the mirror image's only when
    the picture is the first of `mapped` (the side that is tried both ways)."""
    import cv2

    height, width = picture.shape[:2]
    if min(height, width) < 16:
        return Points(width, height, ((), None), ((), None))
    if min(height, width) < ENLARGED:
        scale = ENLARGED / min(height, width)
        width, height = round(width * scale), round(height * scale)
        picture = np.asarray(
            cv2.resize(picture, (width, height), interpolation=cv2.INTER_CUBIC), dtype=np.uint8
        )
    flipped = (
        _orb().detectAndCompute(np.ascontiguousarray(cv2.flip(picture, 1)), None) if mirrored else ((), None)
    )
    return Points(width, height, _orb().detectAndCompute(picture, None), flipped, picture)


def mapped(a: Points, b: Points, *, overlays_possible: bool = False) -> int:
    """How many matching points of two pictures one plane mapping explains, trying `a` as it is and
    mirrored (0 when too few points match to say). With `overlays_possible`, a mapping that leaves the
    points in place is not counted unless the pictures agree there (see the module's notes)."""
    still = (
        overlays_possible
        and abs(a.width - b.width) <= STILL * b.width
        and abs(a.height - b.height) <= STILL * b.height
    )
    flipped = None if a.picture is None or not still else np.ascontiguousarray(a.picture[:, ::-1])
    return max(
        _inliers(a.direct, b.direct, a, b, (a.picture, b.picture) if still else None),
        _inliers(a.mirrored, b.direct, a, b, (flipped, b.picture) if still else None),
    )


def mapped_points(a: U8, b: U8, *, overlays_possible: bool = False) -> int:
    """`mapped` for two grey pictures."""
    return mapped(points(a), points(b, mirrored=False), overlays_possible=overlays_possible)


def _inliers(
    first: tuple[Any, Any],
    second: tuple[Any, Any],
    size_a: Points,
    size: Points,
    in_place: tuple[U8 | None, U8 | None] | None,
) -> int:
    """`mapped` for one orientation of the first picture; `in_place`: the two pictures (the first as
    oriented) when a mapping that leaves the points in place must show the same picture there."""
    import cv2

    (ka, da), (kb, db) = first, second
    if da is None or db is None or len(ka) < MIN_MATCHES or len(kb) < 2:
        return 0
    good = [
        m[0]
        for m in cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(da, db, k=2)
        if len(m) == 2 and m[0].distance < RATIO * m[1].distance
    ]
    pa = np.array([ka[g.queryIdx].pt for g in good], dtype=np.float32).reshape(-1, 2)
    pb = np.array([kb[g.trainIdx].pt for g in good], dtype=np.float32).reshape(-1, 2)
    same: bool | None = None  # whether the pictures agree in place, judged once when first asked
    for _ in range(MODELS):
        if len(pa) < MIN_MATCHES:
            return 0
        mapping, mask = cv2.findHomography(pa, pb, cv2.USAC_MAGSAC, REPROJECTION)
        if mapping is None or mask is None:
            return 0
        linear = mapping[:2, :2] / (mapping[2, 2] if abs(mapping[2, 2]) > 1e-9 else 1.0)
        area = float(np.linalg.det(linear))
        if not SCALE_RANGE[0] <= area <= SCALE_RANGE[1]:  # a fold or a collapse, not the scene
            return 0
        inside = mask.ravel() > 0
        stretch = np.linalg.svd(linear, compute_uv=False)
        graphics = bool(stretch[0] > STRETCH * stretch[1])
        if not graphics and in_place is not None and _in_place(pa[inside], pb[inside], size):
            same = _same_picture(*in_place) if same is None else same
            graphics = not same
        if not graphics and (_spread(pa[inside], size_a) or _spread(pb[inside], size)):
            return int(inside.sum())
        pa, pb = pa[~inside], pb[~inside]  # graphics: look for the footage among the rest
    return 0


def _spread(pts: npt.NDArray[np.float32], size: Points) -> bool:
    """Whether the points spread over the picture rather than lie in a thin strip or a corner of it."""
    if len(pts) < MIN_MATCHES:
        return False
    low, high = np.percentile(pts, [10, 90], axis=0)
    extent = (high - low) / np.array([size.width, size.height], dtype=np.float32)
    return bool(extent.max() >= SPREAD and extent.min() >= SPREAD / 2)


def _in_place(pa: npt.NDArray[np.float32], pb: npt.NDArray[np.float32], size: Points) -> bool:
    """Whether the points sit where they were (a graphic at the same pixels of both pictures)."""
    if not len(pa):
        return False
    moved = np.abs(pa - pb) / np.array([size.width, size.height], dtype=np.float32)
    return bool(np.median(moved.max(axis=1)) <= STILL)


def _same_picture(a: U8 | None, b: U8 | None) -> bool:
    """Whether two grey pictures of about one size show the same thing at the same pixels: `AGREE` of
    the grid cells where either has texture correlate (flat cells, sky or black, say nothing)."""
    import cv2

    if a is None or b is None or min(a.shape[:2]) < CELLS:
        return False
    height, width = (a.shape[0] // CELLS) * CELLS, (a.shape[1] // CELLS) * CELLS
    same_size = np.asarray(cv2.resize(b, (a.shape[1], a.shape[0]), interpolation=cv2.INTER_AREA), np.uint8)

    def cells(picture: U8) -> npt.NDArray[np.float32]:
        grid = picture[:height, :width].astype(np.float32).reshape(CELLS, height // CELLS, CELLS, -1)
        return grid.transpose(0, 2, 1, 3).reshape(CELLS * CELLS, -1)

    ca, cb = cells(a), cells(same_size)
    ca -= ca.mean(axis=1, keepdims=True)
    cb -= cb.mean(axis=1, keepdims=True)
    sa, sb = ca.std(axis=1), cb.std(axis=1)
    textured = np.maximum(sa, sb) >= TEXTURED
    if textured.sum() < CELLS:
        return False
    correlation = (ca * cb).mean(axis=1) / np.maximum(sa * sb, 1e-6)
    return bool((correlation[textured] >= CORRELATED).mean() >= AGREE)


def closest(picture: U8, others: Sequence[U8]) -> int:
    """Which of `others` (frames of one video around a moment) is most like `picture`: the grey levels
    of both reduced to `GLANCE` x `GLANCE` correlate most (a crop or zoom of the scene still peaks at
    the same moment; a still scene is alike throughout, and then any frame will do)."""
    import cv2

    def glance(p: U8) -> npt.NDArray[np.float32]:
        small = cv2.resize(p, (GLANCE, GLANCE), interpolation=cv2.INTER_AREA).astype(np.float32).ravel()
        small -= small.mean()
        return small / max(float(np.linalg.norm(small)), 1e-6)

    mine = glance(picture)
    return int(np.argmax([float(mine @ glance(o)) for o in others]))
