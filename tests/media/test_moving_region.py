"""Where the footage is inside the frame, on generated clips: picture-in-picture with a ticker, full-frame
hand-held footage, letterbox and pillarbox, a blurred-fill repost, a nearly static test pattern."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Iterator

import cv2
import numpy as np
import pytest
from footage import iou

from evidence.core.box import Box
from evidence.media.video.moving_region import MAX_CHANGES, MotionAccumulator, region_of

FRAMES = 24
W, H = 640, 360


def handheld(width: int, height: int, frames: int = FRAMES, seed: int = 1) -> Iterator[np.ndarray]:
    """RGB footage of a textured scene filmed by a shaking hand, with a ball crossing it."""
    rng = np.random.default_rng(seed)
    margin = 40
    world_w, world_h = width + 2 * margin, height + 2 * margin
    coarse = rng.integers(0, 256, size=(world_h // 12 + 1, world_w // 12 + 1, 3), dtype=np.uint8)
    world = cv2.resize(coarse, (world_w, world_h), interpolation=cv2.INTER_CUBIC)
    fine = rng.integers(-40, 40, size=(world_h, world_w, 1))
    world = np.clip(world.astype(np.int16) + fine, 0, 255).astype(np.uint8)
    dx = dy = 0.0
    for i in range(frames):
        dx = float(np.clip(dx + rng.normal(0, 6), -margin, margin))
        dy = float(np.clip(dy + rng.normal(0, 6), -margin, margin))
        x0, y0 = margin + round(dx), margin + round(dy)
        frame = world[y0 : y0 + height, x0 : x0 + width].copy()
        centre = (int(width * (0.1 + 0.8 * i / frames)), height // 2)
        cv2.circle(frame, centre, max(4, height // 8), (250, 240, 30), -1)
        yield frame


def noisy(frame: np.ndarray, rng: np.random.Generator, sigma: float = 1.5) -> np.ndarray:
    """`frame` with the noise of a lossy encode, so "static" is never exactly static."""
    return np.clip(frame + rng.normal(0, sigma, frame.shape), 0, 255).astype(np.uint8)


def studio() -> np.ndarray:
    """A still programme backdrop with a static name strip under the window."""
    frame = np.zeros((H, W, 3), dtype=np.uint8)
    frame[:] = np.linspace(30, 90, W, dtype=np.uint8)[None, :, None]
    cv2.rectangle(frame, (20, 30), (130, 300), (120, 40, 40), -1)
    cv2.putText(frame, "NEWS 24", (500, 40), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 2)
    cv2.rectangle(frame, (160, 226), (480, 254), (230, 230, 230), -1)
    cv2.putText(frame, "Reporter Name, City", (170, 246), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1)
    return frame


def ticker_text(i: int) -> np.ndarray:
    """The bottom strip, its text scrolled left by 9 px a frame."""
    strip = np.full((32, W * 3, 3), (20, 20, 140), dtype=np.uint8)
    words = "BREAKING: markets fall 3% - storm warning for the coast - election results tonight - "
    for k in range(3):
        cv2.putText(strip, words, (k * 900, 23), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 2)
    offset = (9 * i) % (W * 2)
    return strip[:, offset : offset + W]


PIP = Box(160, 40, 320, 180)
TICKER = slice(262, 294)  # 42 px (10 px at 160 wide) below the window, past the name strip


def picture_in_picture() -> Iterator[np.ndarray]:
    rng = np.random.default_rng(7)
    backdrop = studio()
    for i, footage in enumerate(handheld(W, H)):
        frame = backdrop.copy()
        frame[PIP.y : PIP.bottom, PIP.x : PIP.right] = cv2.resize(
            footage, (PIP.w, PIP.h), interpolation=cv2.INTER_AREA
        )
        frame[TICKER] = ticker_text(i)
        yield noisy(frame, rng)


def test_picture_in_picture_is_the_inner_window_not_the_ticker() -> None:
    found = region_of(picture_in_picture())
    assert found is not None
    assert iou(found, PIP) >= 0.85, found
    assert found.bottom < TICKER.start  # the ticker below is not merged in


def test_full_frame_handheld_footage_has_no_region() -> None:
    assert region_of(handheld(W, H, seed=3)) is None


@pytest.mark.parametrize(
    "inner",
    [Box(0, 52, 640, 256), Box(80, 0, 480, 360)],  # letterbox 2.5:1, pillarbox 4:3
    ids=["letterbox", "pillarbox"],
)
def test_black_bars_give_the_interior(inner: Box) -> None:
    rng = np.random.default_rng(5)

    def frames() -> Iterator[np.ndarray]:
        for footage in handheld(inner.w, inner.h, seed=4):
            frame = np.zeros((H, W, 3), dtype=np.uint8)
            frame[inner.y : inner.bottom, inner.x : inner.right] = footage
            yield noisy(frame, rng)

    found = region_of(frames())
    assert found is not None
    assert iou(found, inner) >= 0.9, found


def test_blurred_fill_repost_gives_the_sharp_picture() -> None:
    width, height = 360, 640  # portrait
    sharp = Box(0, 218, 360, 203)  # a 16:9 clip across the middle

    def frames() -> Iterator[np.ndarray]:
        for footage in handheld(640, 360, seed=6):
            cover_w = round(640 * height / 360)
            enlarged = cv2.resize(footage, (cover_w, height), interpolation=cv2.INTER_LINEAR)
            left = (cover_w - width) // 2
            frame = cv2.GaussianBlur(enlarged[:, left : left + width], (0, 0), 25)
            frame[sharp.y : sharp.bottom] = cv2.resize(
                footage, (sharp.w, sharp.h), interpolation=cv2.INTER_AREA
            )
            yield frame

    found = region_of(frames())
    assert found is not None
    assert iou(found, sharp) >= 0.8, found


def test_nearly_static_test_pattern_with_a_moving_strip_has_no_region() -> None:
    rng = np.random.default_rng(9)
    bars = np.zeros((H, W, 3), dtype=np.uint8)
    colours = [(192, 192, 192), (192, 192, 0), (0, 192, 192), (0, 192, 0), (192, 0, 192), (192, 0, 0)]
    for k, colour in enumerate(colours):
        bars[:, k * W // 6 : (k + 1) * W // 6] = colour
    noise = rng.integers(0, 256, size=(20, W * 2, 3), dtype=np.uint8)

    def frames() -> Iterator[np.ndarray]:
        for i in range(FRAMES):
            frame = bars.copy()
            frame[300:320] = noise[:, 13 * i : 13 * i + W]  # a 20-px strip that scrolls
            yield noisy(frame, rng)

    assert region_of(frames()) is None


def test_too_few_frames_give_no_region() -> None:
    frames = list(picture_in_picture())
    assert region_of(frames[:3]) is None
    assert region_of(frames) is not None
    assert region_of([]) is None


def test_memory_is_bounded_whatever_the_number_of_frames() -> None:
    rng = np.random.default_rng(2)
    small = cv2.resize(rng.integers(0, 256, size=(H, W), dtype=np.uint8), (160, 90))  # the work size
    pictures = [small, 255 - small]

    def footprint(n: int) -> tuple[list[tuple[tuple[int, ...], int]], int]:
        tracemalloc.start()
        accumulator = MotionAccumulator(160, 90)
        for i in range(n):
            accumulator.add(pictures[i % 2])
        held, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert accumulator.count == n
        arrays = [getattr(accumulator, name) for name in accumulator.__slots__]
        return [(a.shape, a.nbytes) for a in arrays if isinstance(a, np.ndarray)], held

    (few, few_held), (full, full_held) = footprint(10), footprint(MAX_CHANGES)
    (longer, longer_held), (longest, longest_held) = footprint(3 * MAX_CHANGES), footprint(5 * MAX_CHANGES)
    assert few and few == full == longer == longest
    # the same from the first frames on: 5 x 1,024 frames of 14 kB each would be 72 MB kept
    assert max(full_held, longer_held, longest_held) - few_held < 64 * 1024
    assert few_held < 2 * 2**20


def test_a_part_that_changes_only_when_the_whole_picture_does_is_no_window() -> None:
    # a slide deck cropped: a chart on every other page, beside lines of text that change with the page
    rng = np.random.default_rng(4)
    pages = []
    for page in range(4):
        frame = np.full((H, W), 230, dtype=np.uint8)
        for row in range(6):
            for x in range(20, 380, 24):
                frame[40 + 50 * row : 52 + 50 * row, x : x + 16] = rng.integers(20, 90)
        if page % 2:
            for bar in range(4):
                top = int(rng.integers(120, 260))
                frame[top:330, 430 + 50 * bar : 470 + 50 * bar] = 40 + 40 * bar
        pages.append(frame)
    frames = [pages[t // 5] for t in range(20)]  # two frames a second, a page every 2.5 s
    accumulator = MotionAccumulator(W, H)
    for f in frames:
        accumulator.add(f)
    assert accumulator.region() is None
    # the same chart changing while the text stands still (a window showing footage) is a region
    still = [np.where(np.arange(W) < 400, pages[0], f) for f in frames]
    found = region_of(still)
    assert found is not None and found.x >= 380


def test_grey_and_rgb_frames_give_the_same_region() -> None:
    frames = list(picture_in_picture())
    grey = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
    from_rgb, from_grey = region_of(frames), region_of(grey)
    assert from_rgb is not None and from_grey is not None
    assert iou(from_rgb, from_grey) >= 0.95
    assert iou(from_grey, PIP) >= 0.85


def test_frames_of_another_size_are_refused() -> None:
    accumulator = MotionAccumulator(W, H)
    with pytest.raises(ValueError):
        accumulator.add(np.zeros((H // 2, W // 2), dtype=np.uint8))


def tripod(width: int, height: int, frames: int = FRAMES, seed: int = 4) -> Iterator[np.ndarray]:
    """RGB footage from a tripod: a textured scene that trembles by a pixel, nothing crossing it."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, size=(height // 12 + 3, width // 12 + 3, 3), dtype=np.uint8)
    world = cv2.resize(coarse, (width + 4, height + 4), interpolation=cv2.INTER_CUBIC)
    for _ in range(frames):
        dx, dy = (int(v) for v in rng.integers(0, 3, size=2))
        yield world[dy : dy + height, dx : dx + width].copy()


def test_still_footage_in_a_window_is_found_past_a_ticker_that_moves_more() -> None:
    # the ticker moves most of all, so Otsu's threshold falls between it and everything else; the
    # footage in the window still moves above the noise of the still programme frame around it
    rng = np.random.default_rng(8)
    backdrop = studio()

    def frames() -> Iterator[np.ndarray]:
        for i, footage in enumerate(tripod(W, H)):
            frame = backdrop.copy()
            frame[PIP.y : PIP.bottom, PIP.x : PIP.right] = cv2.resize(footage, (PIP.w, PIP.h))
            frame[TICKER] = ticker_text(i)
            yield noisy(frame, rng)

    found = region_of(frames())
    assert found is not None
    assert iou(found, PIP) >= 0.85, found


ON_TICKER = Box(160, 82, 320, 180)  # the window's bottom edge is the ticker's top: no gap between them


@pytest.mark.parametrize("footage", [handheld, tripod], ids=["hand-held", "tripod"])
def test_a_window_that_sits_on_the_ticker_is_found_without_it(
    footage: Callable[..., Iterator[np.ndarray]],
) -> None:
    # window and ticker make one moving component; the ticker is told apart by its rows, which move
    # all along the picture's width
    assert ON_TICKER.bottom == TICKER.start
    found = region_of(programme_with(ON_TICKER, footage(W, H)))
    assert found is not None
    assert iou(found, ON_TICKER) >= 0.85, found


SMALL_WINDOW = Box(420, 60, 84, 150)  # portrait footage in a landscape programme: 5.5 % of the picture


def programme_with(window: Box, footage: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    """The still studio with a ticker, `footage` scaled into `window`."""
    rng = np.random.default_rng(11)
    backdrop = studio()
    for i, picture in enumerate(footage):
        frame = backdrop.copy()
        frame[window.y : window.bottom, window.x : window.right] = cv2.resize(picture, (window.w, window.h))
        frame[TICKER] = ticker_text(i)
        yield noisy(frame, rng)


def test_a_portrait_clip_in_a_small_window_of_a_landscape_programme_is_found() -> None:
    found = region_of(programme_with(SMALL_WINDOW, handheld(180, 320, seed=12)))
    assert found is not None
    assert iou(found, SMALL_WINDOW) >= 0.8, found


@pytest.mark.parametrize(
    "patch",
    [
        Box(420, 204, 84, 150),  # as large, but down against the frame's bottom edge
        Box(40, 120, 300, 48),  # a moving band, not shaped like a picture
        Box(420, 60, 48, 90),  # a window of 1.9 % of the picture
    ],
    ids=["against-the-edge", "band", "too-small"],
)
def test_a_small_moving_part_that_is_not_a_window_gives_no_region(patch: Box) -> None:
    rng = np.random.default_rng(13)
    backdrop = studio()

    def frames() -> Iterator[np.ndarray]:
        for footage in handheld(patch.w, patch.h, seed=14):
            frame = backdrop.copy()
            frame[patch.y : patch.bottom, patch.x : patch.right] = footage
            yield noisy(frame, rng)

    assert region_of(frames()) is None
