"""Where a still picture placed inside the frame is, from its lasting straight sides (`media/video/inset.py`),
and which of the two finders the describer believes (`media/video/describe.py`)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from footage import daylight, generated_photo, iou, programme_frame

from evidence.core.box import Box
from evidence.media.video.describe import Describer, Geometry
from evidence.media.video.inset import EdgeMean, inset_rectangle

W, H = 398, 224  # a 16:9 picture at the descriptor's input size


def window_in_programme(window: Box, seed: int = 0) -> np.ndarray:
    """A still daylight scene shown in `window` of a news programme's dark frame."""
    out = programme_frame((W, H), seed).copy()
    out[window.y : window.bottom, window.x : window.right] = daylight(seed, (window.w, window.h))
    return out


def grey(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)


@pytest.mark.parametrize("window", [Box(40, 20, 200, 120), Box(150, 60, 170, 100), Box(10, 8, 300, 160)])
def test_a_still_window_in_a_programme_frame_is_found(window: Box) -> None:
    found = inset_rectangle(grey(window_in_programme(window, seed=3)))
    assert found is not None
    assert iou(found, window) >= 0.9, found


def test_pictures_without_a_window_have_none() -> None:
    assert inset_rectangle(grey(programme_frame((W, H), 3))) is None  # the frame alone
    photo = cv2.resize(generated_photo(5), (W, H), interpolation=cv2.INTER_AREA)
    assert inset_rectangle(grey(photo)) is None  # a scene full of hard-edged shapes


def test_a_window_too_small_to_stand_for_the_footage_is_not_one() -> None:
    small = Box(150, 60, 80, 45)  # 4 % of the picture
    assert inset_rectangle(grey(window_in_programme(small, seed=3))) is None


def test_a_framed_strip_is_no_picture_but_a_cinema_picture_is() -> None:
    # a slide's title bar, framed on all four sides (bench/dupes: a filmed slide deck described by it)
    bar = Box(20, 10, 358, 36)
    assert inset_rectangle(grey(window_in_programme(bar, seed=3))) is None
    cinema = Box(30, 40, 330, 140)  # 2.36:1
    found = inset_rectangle(grey(window_in_programme(cinema, seed=3)))
    assert found is not None and iou(found, cinema) >= 0.9, found


def test_the_mean_keeps_the_sides_that_last_and_loses_the_moving_edges() -> None:
    """Over moving footage the window's own edges blur away; the studio's rectangle stays."""
    window = Box(60, 30, 220, 130)
    rng = np.random.default_rng(4)
    mean = EdgeMean()
    assert mean.rectangle() is None
    for i in range(12):
        frame = window_in_programme(window, seed=3)
        # a different picture each time: nothing inside lasts
        frame[window.y : window.bottom, window.x : window.right] = daylight(10 + i, (window.w, window.h))
        noisy = np.clip(frame + rng.normal(0, 2, frame.shape), 0, 255).astype(np.uint8)
        mean.add(cv2.cvtColor(noisy, cv2.COLOR_RGB2GRAY))
    found = mean.rectangle()
    assert found is not None and iou(found, window) >= 0.9, found


def test_the_describer_takes_the_window_of_a_still_scene() -> None:
    """A still scene inside a programme frame: nothing moves, so the moving-region finder has nothing
    to say, and the window's sides say where the footage is (in full-size pixels)."""
    window = Box(120, 40, 200, 120)
    still = window_in_programme(window, seed=3)
    rng = np.random.default_rng(5)
    describer = Describer(Geometry(2 * W, 2 * H, None, 0), track_motion=True)
    for _ in range(8):
        picture = np.clip(still + rng.normal(0, 1.5, still.shape), 0, 255).astype(np.uint8)
        describer.motion = describer.motion or _motion(picture)
        describer.motion.add(picture)
        assert describer.edges is not None
        describer.edges.add(cv2.cvtColor(picture, cv2.COLOR_RGB2GRAY))
    assert describer.motion.region() is None
    found = describer.region()
    assert found is not None and iou(found, window.scaled(2)) >= 0.9, found


def test_a_frame_filling_still_scene_gets_no_region() -> None:
    photo = cv2.resize(generated_photo(6), (W, H), interpolation=cv2.INTER_AREA)
    describer = Describer(Geometry(W, H, None, 0), track_motion=True)
    for _ in range(8):
        describer.motion = describer.motion or _motion(photo)
        describer.motion.add(photo)
        assert describer.edges is not None
        describer.edges.add(cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY))
    assert describer.region() is None


def _motion(picture: np.ndarray):  # type: ignore[no-untyped-def]
    from evidence.media.video.moving_region import MotionAccumulator

    return MotionAccumulator(picture.shape[1], picture.shape[0])


def test_the_window_s_sides_outrank_the_motion_inside_it_and_a_band_is_not_a_window() -> None:
    from evidence.media.video.describe import footage_box

    width, height = 640, 360
    moving, framed = Box(120, 70, 200, 150), Box(100, 50, 300, 200)
    assert footage_box(moving, framed, width, height) == framed  # the footage's own motion inside
    assert footage_box(None, framed, width, height) == framed  # a still scene in the window
    assert footage_box(moving, None, width, height) == moving
    elsewhere = Box(420, 40, 180, 120)  # motion outside the window: the window is not the footage
    assert footage_box(elsewhere, framed, width, height) == elsewhere
    band = Box(0, 100, width, 150)  # edge to edge: the footage itself with a quiet part
    assert footage_box(band, None, width, height) is None
    assert footage_box(None, band, width, height) is None


def _describer_over(pictures: list[np.ndarray]) -> Describer:
    describer = Describer(Geometry(W, H, None, 0), track_motion=True)
    for picture in pictures:
        describer.motion = describer.motion or _motion(picture)
        describer.motion.add(picture)
        assert describer.edges is not None
        describer.edges.add(cv2.cvtColor(picture, cv2.COLOR_RGB2GRAY))
    return describer


def test_people_walking_in_a_corner_of_a_still_scene_are_not_a_picture_inside() -> None:
    """A tripod shot where a crowd moves in one corner: the motion finder alone takes the corner, but
    the scene continues across its sides (no lasting edge), so the whole picture stays described."""
    scene = cv2.resize(generated_photo(6), (W, H), interpolation=cv2.INTER_AREA)
    rng = np.random.default_rng(11)
    pictures = []
    for _ in range(12):
        frame = scene.copy()
        for _ in range(40):  # people of every height and colour, anywhere in the corner
            x, y = int(rng.integers(0, 170)), int(rng.integers(130, H - 20))
            colour = tuple(int(c) for c in rng.integers(0, 256, 3))
            cv2.rectangle(frame, (x, y), (x + 10, y + int(rng.integers(10, 30))), colour, -1)
        pictures.append(frame)
    describer = _describer_over(pictures)
    assert describer.motion is not None and describer.motion.region() is not None
    assert describer.region() is None


def test_moving_footage_in_a_window_at_the_side_of_a_programme_is_found() -> None:
    """The window meets the studio set along its sides: the moving region is the footage."""
    window = Box(0, 30, 210, 130)  # against the left edge of the frame
    rng = np.random.default_rng(12)
    pictures = []
    for i in range(12):
        frame = programme_frame((W, H), 3).copy()
        frame[window.y : window.bottom, window.x : window.right] = daylight(20 + i, (window.w, window.h))
        pictures.append(np.clip(frame + rng.normal(0, 1.5, frame.shape), 0, 255).astype(np.uint8))
    found = _describer_over(pictures).region()
    assert found is not None and iou(found, window) >= 0.9, found
