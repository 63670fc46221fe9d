"""Where a filmed screen is, from its slanted outline on the mean picture
(`media/video/screen_outline.py`), and when the describer takes it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from footage import daylight, filmed_screen, generated_photo, iou, programme_frame

from evidence.core.box import Box
from evidence.media import sscd
from evidence.media.video.describe import Describer, Geometry
from evidence.media.video.inset import STRONG, EdgeMean, inset_rectangle
from evidence.media.video.moving_region import MotionAccumulator
from evidence.media.video.screen_outline import screen_corners

W, H = 398, 224  # a 16:9 picture at the descriptor's input size
LEANING = (
    ((0.03, 0.03), (-0.03, -0.01), (0.02, -0.02), (-0.015, 0.01)),
    ((-0.02, 0.0), (0.0, 0.03), (0.02, -0.02), (0.0, 0.0)),
    ((0.0, -0.02), (0.01, 0.03), (-0.03, 0.0), (-0.02, 0.03)),
)


def picture_box(fill: float, shifts: tuple[tuple[float, float], ...], bezel: int = 8) -> Box:
    """Where `filmed_screen` puts the picture: its corners through the same perspective, then the box
    through the middle of its slanted sides."""
    sw, sh = round(W * fill), round(H * fill)
    mw, mh = sw + 2 * bezel, sh + 2 * bezel
    x0, y0 = (W - mw) / 2, (H - mh) / 2
    flat = np.float32([[x0, y0], [x0 + mw, y0], [x0 + mw, y0 + mh], [x0, y0 + mh]])
    quad = flat + np.float32([[dx * W, dy * H] for dx, dy in shifts])
    matrix = cv2.getPerspectiveTransform(np.float32([[0, 0], [mw, 0], [mw, mh], [0, mh]]), quad)
    inner = np.float32([[[bezel, bezel], [bezel + sw, bezel], [bezel + sw, bezel + sh], [bezel, bezel + sh]]])
    (tl, tr, br, bl) = cv2.perspectiveTransform(inner, matrix)[0]
    left, right = (tl[0] + bl[0]) / 2, (tr[0] + br[0]) / 2
    top, bottom = (tl[1] + tr[1]) / 2, (bl[1] + br[1]) / 2
    return Box(round(left), round(top), round(right - left), round(bottom - top))


def mean_of(picture: np.ndarray, frames: int = 8) -> EdgeMean:
    mean, rng = EdgeMean(), np.random.default_rng(3)
    for _ in range(frames):
        noisy = np.clip(picture + rng.normal(0, 2.5, picture.shape), 0, 255).astype(np.uint8)
        mean.add(cv2.cvtColor(noisy, cv2.COLOR_RGB2GRAY))
    return mean


def outline_box(mean: np.ndarray) -> Box | None:
    """The box through the middle of the filmed screen's slanted sides on `mean`, or None."""
    found = screen_corners(mean)
    return None if found is None else found[0]


def assert_outline(mean: np.ndarray, fill: float, shifts: tuple, least: float = 0.9) -> None:
    """The outline traced on `mean` is the picture `filmed_screen(fill, shifts)` put there."""
    found, expected = outline_box(mean), picture_box(fill, shifts)
    assert found is not None and iou(found, expected) >= least, (found, expected)


@pytest.mark.parametrize("shifts", LEANING)
@pytest.mark.parametrize("fill", [0.72, 0.85])
def test_a_filmed_still_screen_is_found_by_its_slanted_sides(fill: float, shifts: tuple) -> None:
    filmed = filmed_screen(fill, shifts)(daylight(1, (W, H)))
    mean = mean_of(filmed).mean()
    assert mean is not None
    assert inset_rectangle(mean) is None  # its sides lean: no upright window
    assert_outline(mean, fill, shifts)


def turned(fill: float, degrees: float, bezel: int = 8) -> tuple[tuple[float, float], ...]:
    """`filmed_screen`'s corner shifts for a phone turned by `degrees` about the picture's centre."""
    mw, mh = round(W * fill) + 2 * bezel, round(H * fill) + 2 * bezel
    a = np.radians(degrees)
    corners = ((-mw / 2, -mh / 2), (mw / 2, -mh / 2), (mw / 2, mh / 2), (-mw / 2, mh / 2))
    return tuple(
        ((x * np.cos(a) - y * np.sin(a) - x) / W, (x * np.sin(a) + y * np.cos(a) - y) / H) for x, y in corners
    )


@pytest.mark.parametrize("degrees", [-8.0, 9.0])
def test_a_screen_filmed_with_the_phone_turned_a_little_is_found(degrees: float) -> None:
    # a hand-held phone is seldom level: each side leans by tan(8-9 degrees), 0.14-0.16 of its length
    shifts = turned(0.7, degrees)
    filmed = filmed_screen(0.7, shifts)(daylight(2, (W, H)))
    mean = mean_of(filmed).mean()
    assert mean is not None
    assert_outline(mean, 0.7, shifts, least=0.85)


def test_a_dark_picture_on_a_softly_filmed_screen_is_found_by_its_soft_sides() -> None:
    # night footage on a screen filmed a little out of focus: the wall, the bezel and the picture are
    # all dark, and no side is a strong step
    shifts = LEANING[0]
    night = (daylight(4, (W, H)) * 0.15).astype(np.uint8)
    filmed = cv2.GaussianBlur(filmed_screen(0.78, shifts, wall=110)(night), (0, 0), 2.5)
    mean = mean_of(filmed).mean()
    assert mean is not None
    step = (
        np.hypot(cv2.Sobel(mean, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(mean, cv2.CV_32F, 0, 1, ksize=3)) / 4
    )
    assert step.max() < STRONG  # no strong edge anywhere
    assert_outline(mean, 0.78, shifts, least=0.85)


def test_soft_edges_are_looked_at_only_where_the_strong_ones_give_no_outline() -> None:
    # a slide whose panel's border is a soft step: traced on soft edges, the panel would be taken for
    # the picture (the innermost large outline); the screen's strong outline comes first
    shifts = LEANING[1]
    slide = np.full((H, W, 3), 200, np.uint8)
    slide[round(0.1 * H) : round(0.9 * H), round(0.1 * W) : round(0.9 * W)] = 170
    mean = mean_of(filmed_screen(0.8, shifts)(slide)).mean()
    assert mean is not None
    assert_outline(mean, 0.8, shifts)


def test_pictures_without_a_filmed_screen_have_none() -> None:
    photo = cv2.resize(generated_photo(5), (W, H), interpolation=cv2.INTER_AREA)
    assert outline_box(cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY).astype(np.float32)) is None
    frame = programme_frame((W, H), 3)
    assert outline_box(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY).astype(np.float32)) is None
    # a framed box of a fifth of the picture (an app's panel, a window in a programme) is no filmed screen
    small = frame.copy()
    small[60:140, 100:280] = daylight(2, (W, H))[60:140, 100:280]
    small = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32)
    assert inset_rectangle(small) is not None and outline_box(small) is None


def describer_of(filmed: np.ndarray) -> Describer:
    """A describer that has seen eight noisy pictures of a still filmed screen."""
    describer = Describer(Geometry(W, H, None, 0), track_motion=True)
    rng = np.random.default_rng(7)
    for _ in range(8):
        picture = np.clip(filmed + rng.normal(0, 2.5, filmed.shape), 0, 255).astype(np.uint8)
        describer.motion = describer.motion or MotionAccumulator(W, H)
        describer.motion.add(picture)
        assert describer.edges is not None
        describer.edges.add(cv2.cvtColor(picture, cv2.COLOR_RGB2GRAY))
    return describer


def test_the_describer_takes_the_outline_only_where_no_finder_found_the_footage() -> None:
    shifts = LEANING[0]
    found = describer_of(filmed_screen(0.78, shifts)(daylight(4, (W, H)))).region()
    assert found is not None and iou(found, picture_box(0.78, shifts)) >= 0.9, found


def placed_by_outline(filmed: np.ndarray) -> tuple[Box, tuple]:
    placed = describer_of(filmed).placement()
    assert placed is not None and placed[1] is not None, placed
    return placed[0], placed[1]


@pytest.mark.parametrize("shifts", LEANING)
def test_a_filmed_screen_is_described_as_its_picture_warped_flat(shifts: tuple) -> None:
    import av

    shown = daylight(6, (W, H))
    filmed = filmed_screen(0.78, shifts, wall=190)(shown)
    box, corners = placed_by_outline(filmed)
    frame = av.VideoFrame.from_ndarray(filmed, format="rgb24")
    flat = Geometry(W, H, None, 0, box, corners).picture(frame)
    boxed = Geometry(W, H, None, 0, box).picture(frame)
    assert flat.shape == boxed.shape  # the same region, the same size: only the corners differ

    # the picture as it was shown, pixel for pixel (its edges, a pixel or two of bezel, aside)
    source = cv2.resize(shown, (flat.shape[1], flat.shape[0]), interpolation=cv2.INTER_AREA).astype(float)
    inner = (slice(4, -4), slice(4, -4))
    flat_error = float(np.abs(flat.astype(float) - source)[inner].mean())
    box_error = float(np.abs(boxed.astype(float) - source)[inner].mean())
    assert flat_error < 0.6 * box_error, (flat_error, box_error)

    # and what matching sees: closer to the source than the box through the slanted sides
    reference, warped, cut = sscd.describe([shown, flat, boxed])
    assert float(warped @ reference) > float(cut @ reference) + 0.01, (warped @ reference, cut @ reference)
