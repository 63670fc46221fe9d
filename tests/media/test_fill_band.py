"""Where the footage is in a repost over its own blurred fill (`media/video/fill_band.py`), and when
the describer takes that band."""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np
import pytest
from footage import Edit, blurred_fill, daylight, fill_box, generated_photo, inside_programme, iou

from evidence.core.box import Box
from evidence.media.video.describe import Describer, Geometry
from evidence.media.video.fill_band import fill_band
from evidence.media.video.inset import EdgeMean
from evidence.media.video.moving_region import MotionAccumulator

W, H = 398, 224  # a 16:9 picture at the descriptor's input size
# the reposts are of `daylight` scenes: along the whole of the band's sides they stand out from their
# dimmed fill (a dark picture over a fill dimmed little has sides too faint to find: described whole)


def scene(n: int, size: tuple[int, int] = (W, H)) -> np.ndarray:
    return cv2.resize(generated_photo(n), size, interpolation=cv2.INTER_AREA)


def held(picture: np.ndarray, frames: int = 8, seed: int = 3, *edits: Edit) -> Iterator[np.ndarray]:
    """A still shot: the same picture with a camera's grain on every frame, `edits` applied, then
    through a lossy encode (JPEG at quality 85: it smooths what is blurred, as a video encoder does)."""
    rng = np.random.default_rng(seed)
    for _ in range(frames):
        frame = np.clip(picture + rng.normal(0, 2.0, picture.shape), 0, 255).astype(np.uint8)
        for edit in edits:
            frame = edit(frame)
        _, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 85])
        yield cv2.imdecode(jpeg, cv2.IMREAD_UNCHANGED)


def edges_of(pictures: Iterator[np.ndarray]) -> EdgeMean:
    edges = EdgeMean()
    for picture in pictures:
        edges.add(cv2.cvtColor(picture, cv2.COLOR_RGB2GRAY))
    return edges


def band_of(pictures: Iterator[np.ndarray]) -> Box | None:
    edges = edges_of(pictures)
    mean, sharpest = edges.mean(), edges.sharpest()
    assert mean is not None and sharpest is not None
    return fill_band(mean, sharpest)


@pytest.mark.parametrize(
    ("scale", "shift", "sigma", "dim"),
    [(1.0, 0.0, 5.0, 0.5), (0.97, 0.25, 3.0, 0.55), (0.98, -0.3, 8.0, 0.45)],
)
@pytest.mark.parametrize("upright", [False, True], ids=["landscape-in-portrait", "portrait-in-landscape"])
def test_the_sharp_band_of_a_repost_over_its_blurred_fill_is_found(
    scale: float, shift: float, sigma: float, dim: float, upright: bool
) -> None:
    size = (H, W) if upright else (W, H)
    repost = blurred_fill(scale, shift, sigma, dim)
    found = band_of(held(daylight(2, size), 8, 3, repost))
    want = fill_box(*size, scale, shift)
    assert found is not None and iou(found, want) >= 0.85, (found, want)


@pytest.mark.parametrize("softness", [2.0, 2.5])
def test_a_soft_scene_over_a_lightly_blurred_fill_is_a_band(softness: float) -> None:
    """Footage with little fine detail (haze, a plain sky, a soft lens) is not much sharper than a fill
    blurred a little: its margins reach a quarter of its sharpness, and they are still its fill."""
    soft = cv2.GaussianBlur(daylight(2, (W, H)), (0, 0), softness)
    found = band_of(held(soft, 8, 3, blurred_fill(1.0, 0.0, 2.0, 0.5)))
    assert found is not None and iou(found, fill_box(W, H, 1.0, 0.0)) >= 0.85, found


def test_pictures_without_a_blurred_fill_have_no_band() -> None:
    assert band_of(held(scene(3))) is None  # a still landscape shot
    assert band_of(held(scene(3, (H, W)))) is None  # a still portrait shot
    # a programme frame around a picture-in-picture window: the window does not span the frame
    assert band_of(held(scene(4), 8, 3, inside_programme(0.5, 0.4, 0.5, seed=2))) is None
    # a slide: a bright panel between plain margins, as wide as the frame is: footage of this
    # orientation, not a repost of the other one
    assert band_of(held(slide((W, H), Box(40, 0, 318, H)))) is None
    # a portrait picture between plain margins of a portrait frame: not the other orientation
    assert band_of(held(slide((H, W), Box(0, 70, H, 260)))) is None


def slide(size: tuple[int, int], panel: Box) -> np.ndarray:
    """Lines of black text on a white `panel` between plain grey margins."""
    out = np.full((size[1], size[0], 3), 40, np.uint8)
    out[panel.y : panel.bottom, panel.x : panel.right] = 250
    for k, y in enumerate(range(panel.y + 24, panel.bottom - 8, 22)):
        words = ("Statement of the regional command", "casualties reported near the town")[k % 2]
        cv2.putText(out, words, (panel.x + 6, y), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1)
    return out


def test_margins_that_were_sharp_on_any_picture_are_no_blurred_fill() -> None:
    # a compilation whose first pictures are a repost over a blurred fill and whose last picture fills
    # the frame: the margins were sharp once, so they are no fill of the whole clip (on the mean
    # sharpness, one picture in 31 would not show)
    repost = blurred_fill(0.95, 0.1)
    full = scene(7, (H, W))
    assert band_of(held(daylight(2, (W, H)), 30, 3, repost)) is not None
    assert band_of(iter([*held(daylight(2, (W, H)), 30, 3, repost), *held(full, 1, 4)])) is None


def test_the_describer_takes_the_band_over_a_small_moving_part_inside_it() -> None:
    # a still tripod shot whose only motion is a part of it (a screen, a flag): the moving-region finder
    # takes that part; the band is the footage
    still = daylight(8, (W, H))
    box = fill_box(W, H, 0.95, 0.2)
    describer = Describer(Geometry(H, W, None, 0), track_motion=True)
    rng = np.random.default_rng(5)
    for i, picture in enumerate(held(still, 12, 3, blurred_fill(0.95, 0.2))):
        part = rng.integers(0, 256, (96, 90, 3), dtype=np.uint8) if i % 2 else np.zeros((96, 90, 3), np.uint8)
        picture[box.y + 10 : box.y + 106, 0:90] = part
        describer.motion = describer.motion or MotionAccumulator(H, W)
        describer.motion.add(picture)
        assert describer.edges is not None
        describer.edges.add(cv2.cvtColor(picture, cv2.COLOR_RGB2GRAY))
    moving = describer.motion.region() if describer.motion is not None else None
    assert moving is not None and moving.w < box.w / 2  # the patch alone
    found = describer.region()
    assert found is not None and iou(found, box) >= 0.85, (found, box)
