"""Copy-detection descriptors of a video's frames on a steady grid (`DESCRIBE_INTERVAL`), made during
the decode pass: each chosen frame is converted to RGB straight at the descriptor's input size (the
scaler does the reduction, the full-size RGB picture is never made), its border cropped off, turned
upright, and described in batches (`media.sscd`). A picture with bars of its own on opposite sides (a
portrait piece between pillars in a landscape compilation, whose other pieces fill the frame) is
described between them (`geometry.centred_bars`), as its source is.

Where the footage is only part of the picture (inside a news programme's frame, on a filmed screen, the
sharp middle of a repost over a blurred fill), the whole picture's descriptor describes the programme
as much as the footage: two unrelated clips in the same programme frame look alike. So the describer
also accumulates where the picture moves (`moving_region`) and the mean of its pictures, whose
lasting straight edges frame a picture placed inside (`inset`: footage that hardly moves); when
either finds the footage inside the frame, `describe_region` makes a second, descriptor-only pass and
its "region" descriptors replace the whole picture's for matching. A moving region counts only where
one of its sides meets the set along a lasting edge (`inset.meets_set`): in a shot from a tripod,
the part where people walk is not a picture inside the frame, and describing it alone would make the
clip unlike its own copies. A repost over its own blurred fill is placed first, by its sharp band
(`fill_band`, on the mean and on the sharpest each pixel has been); a filmed screen at an angle last,
by its slanted outline (`screen_outline.screen_corners`), where nothing else placed the footage: its
four corners are warped flat onto the region's box (`Geometry.corners`), so the screen's picture is
described upright and whole.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from evidence.core.box import Box, Corners
from evidence.media import sscd
from evidence.media.image.geometry import centred_bars
from evidence.media.video.borders import is_flat
from evidence.media.video.decode import (
    CONVERTING,
    iter_frames,
    open_video,
    seconds,
    single_threaded_maths,
    upright,
)
from evidence.media.video.fill_band import fill_band
from evidence.media.video.grid_decoding import FrameNumbers, GridDecoding
from evidence.media.video.inset import EdgeMean, inset_rectangle, meets_set
from evidence.media.video.moving_region import MotionAccumulator
from evidence.media.video.read_ahead import read_ahead
from evidence.media.video.results import DescribedFrame
from evidence.media.video.screen_outline import screen_corners

DESCRIBE_INTERVAL: Final = Fraction(1, 2)
"""Frames described per second of video: a 2 s excerpt or a 2 s piece of a compilation still has
four, enough to line up; the stored sampled frames (one a second) are a subset of them."""

IN_FLIGHT: Final = 2
"""Batches that may wait on the describing thread before the decode pass waits for the oldest
(memory stays bounded when the model is slower than the decoder)."""

U8 = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class Geometry:
    """How a decoded frame (stored orientation, `width` x `height`) becomes the described picture."""

    width: int
    height: int
    crop: Box | None  # the content inside a border, stored coordinates
    turns: int  # counter-clockwise quarter turns that make it upright
    region: Box | None = None  # the footage inside the upright canonical picture, its pixels
    corners: Corners | None = None  # a filmed screen's picture (same pixels): warped flat onto `region`

    def picture(self, frame: Any) -> U8:
        """The upright canonical picture (or its region), scaled so that its short side is about the
        descriptor's input size (never enlarged beyond the decoded size)."""
        crop = self.crop or Box(0, 0, self.width, self.height)
        part = self.region
        upright_w, upright_h = (crop.h, crop.w) if self.turns % 2 else (crop.w, crop.h)
        short = min(part.w, part.h) if part is not None else min(upright_w, upright_h)
        scale = min(1.0, sscd.SHORT_SIDE / max(1, short))
        w, h = max(2, round(self.width * scale)), max(2, round(self.height * scale))
        with CONVERTING:
            rgb = frame.to_ndarray(format="rgb24", width=w, height=h, interpolation="AREA")
        sx, sy = w / self.width, h / self.height
        picture = upright(np.ascontiguousarray(crop.scaled(sx, sy).crop(rgb)), self.turns)
        if part is None:
            return picture
        ph, pw = picture.shape[:2]
        fx, fy = pw / max(1, upright_w), ph / max(1, upright_h)
        box = Box(
            round(part.x * fx), round(part.y * fy), max(1, round(part.w * fx)), max(1, round(part.h * fy))
        )
        if self.corners is not None:
            return _flattened(picture, [(x * fx, y * fy) for x, y in self.corners], box.w, box.h)
        return np.ascontiguousarray(box.crop(picture))


class Describer:
    """Collects the grid's pictures and describes them a batch at a time, on a thread of its own: the
    model runs (onnxruntime releases the GIL) while the decode pass goes on hashing the next frames,
    so neither waits for the other. Results come back in the order the pictures were added."""

    def __init__(self, geometry: Geometry, *, variant: str = "canonical", track_motion: bool = False) -> None:
        self.geometry, self.variant, self.track_motion = geometry, variant, track_motion
        self.pending: list[tuple[int, Fraction, Future[tuple[U8, U8]]]] = []  # index, time, picture, grey
        self.running: deque[Future[list[DescribedFrame]]] = deque()  # batches handed to the thread
        self.unmade: deque[Future[tuple[U8, U8]]] = deque()  # pictures asked for, perhaps not made yet
        self.pool: ThreadPoolExecutor | None = None
        self.motion: MotionAccumulator | None = None
        self.edges = EdgeMean() if track_motion else None

    def add(self, index: int, t: Fraction, frame: Any) -> list[DescribedFrame]:
        """Queue a frame; returns the described frames of the batches finished so far. The picture is
        made on the describing thread too (the scaler and the motion bookkeeping run without the
        decode pass), in the order the frames came."""
        if self.pool is None:
            self.pool = ThreadPoolExecutor(1, thread_name_prefix="describe")
        made = self.pool.submit(self._picture, frame)
        self.pending.append((index, t, made))
        self.unmade.append(made)
        try:
            while self.unmade and (self.unmade[0].done() or len(self.unmade) > sscd.BATCH):
                self.unmade.popleft().result()  # at most a batch of decoded frames waits for its picture
        except BaseException:
            self._close()
            raise
        if len(self.pending) >= sscd.BATCH:
            self._start()
        return self._finished(keep=IN_FLIGHT)

    def _picture(self, frame: Any) -> tuple[U8, U8]:
        """The described picture of a frame and its grey; folds it into the motion and the mean."""
        picture = self.geometry.picture(frame)
        if self.track_motion:
            if self.motion is None:
                self.motion = MotionAccumulator(picture.shape[1], picture.shape[0])
            self.motion.add(picture)
        grey = _grey(picture)
        if self.edges is not None:
            self.edges.add(grey)
        bars = centred_bars(grey) if self.geometry.region is None else None
        if bars is not None:
            picture = self._inside(bars, picture.shape[1], frame)
            grey = _grey(picture)
        return picture, grey

    def _inside(self, bars: Box, width: int, frame: Any) -> U8:
        """The picture between this frame's own bars (`centred_bars` on the described picture, `width`
        wide), made again from the frame so that its short side is the descriptor's input size."""
        scale = self._upright_width() / max(1, width)
        return replace(self.geometry, region=bars.scaled(scale)).picture(frame)

    def region(self) -> Box | None:
        """Where the footage is, in pixels of the upright canonical picture at full size (`footage_box`
        of the moving region and of the window whose four sides stay sharp on the mean picture)."""
        placed = self.placement()
        return None if placed is None else placed[0]

    def placement(self) -> tuple[Box, Corners | None] | None:
        """`region` and, where a filmed screen's outline placed it, the screen picture's four corners
        (the same pixels)."""
        if self.motion is None:
            return None
        found = footage_of(self.motion, self.edges)
        if found is None:
            return None
        box, corners = found
        k = self._upright_width() / max(1, self.motion.width)
        return box.scaled(k), None if corners is None else _scaled_corners(corners, k)

    def _upright_width(self) -> int:
        """The width of the upright canonical picture at full size (what regions are measured on)."""
        g = self.geometry
        crop = g.crop or Box(0, 0, g.width, g.height)
        return crop.h if g.turns % 2 else crop.w

    def flush(self) -> list[DescribedFrame]:
        """Describe what is queued and wait for every batch: all the described frames not yet returned."""
        self._start()
        done = self._finished(keep=0)
        self._close()
        return done

    def _start(self) -> None:
        pending, self.pending = self.pending, []
        if not pending:
            return
        assert self.pool is not None  # made by the first `add`
        self.running.append(self.pool.submit(self._describe, pending))

    def _finished(self, *, keep: int) -> list[DescribedFrame]:
        """The results of the batches at the head of the queue that are done, waiting for the oldest
        while more than `keep` are running; an error of the model is raised here, in the decode pass."""
        done: list[DescribedFrame] = []
        try:
            while self.running and (self.running[0].done() or len(self.running) > keep):
                done.extend(self.running.popleft().result())
        except BaseException:
            self._close()
            raise
        return done

    def _close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None
        self.running.clear()
        self.unmade.clear()

    def _describe(self, pending: list[tuple[int, Fraction, Future[tuple[U8, U8]]]]) -> list[DescribedFrame]:
        # the pictures were queued on this thread before this batch: they are made (or failed) by now
        pictures = [made.result() for _, _, made in pending]
        vectors = sscd.describe([picture for picture, _ in pictures])
        return [
            DescribedFrame(index, t, self.variant, sscd.pack(v), is_flat(grey))
            for (index, t, _), (_, grey), v in zip(pending, pictures, vectors, strict=True)
        ]


def footage_of(motion: MotionAccumulator, edges: EdgeMean | None) -> tuple[Box, Corners | None] | None:
    """Where the footage is, in pixels of the described pictures: the sharp band of a repost over its
    blurred fill (`fill_band`); else `footage_box` of the moving region (where it meets the set along
    an edge) and of the window whose four sides stay sharp; where neither finds one, a filmed screen's
    slanted outline (`screen_corners`: its box, and its corners to warp flat)."""
    mean = None if edges is None else edges.mean()
    sharpest = None if edges is None else edges.sharpest()
    if mean is not None and sharpest is not None:
        band = fill_band(mean, sharpest)
        if band is not None:
            return band, None  # spans the frame edge to edge, which `_inset` refuses to anything else
    moving = motion.region()
    if moving is not None and mean is not None and not meets_set(mean, moving):
        moving = None  # a moving part of a still scene (people walking by), not a picture inside
    framed = None if mean is None else inset_rectangle(mean)
    found = footage_box(moving, framed, motion.width, motion.height)
    if found is None and mean is not None:
        screen = screen_corners(mean)
        if screen is not None and _inset(screen[0], motion.width, motion.height):
            return screen
    return None if found is None else (found, None)


def footage_box(moving: Box | None, framed: Box | None, width: int, height: int) -> Box | None:
    """Which rectangle of a `width` x `height` picture the footage is, if any: the window found by its
    sides (`framed`) when the moving region lies inside it (the footage's own motion) or there is
    none; else the moving region. Either must be placed inside the frame (`_inset`)."""
    if moving is not None and not _inset(moving, width, height):
        moving = None
    if framed is not None and not _inset(framed, width, height):
        framed = None
    return framed if framed is not None and _within(moving, framed, width) else moving


def _inset(box: Box, width: int, height: int) -> bool:
    """Whether a moving region is a picture placed inside the frame: it touches at most two edges of
    the frame, and two only at a corner. A band from edge to edge (footage under a still sky, above a
    still foreground) is the footage itself with a quiet part; describing the band alone would make
    the clip unlike its own copies, whose quiet parts differ."""
    left, top, right, bottom = box.touching(width, height)
    if (left and right) or (top and bottom):
        return False
    return sum((left, top, right, bottom)) <= 2


def _within(inner: Box | None, outer: Box, width: int) -> bool:
    """Whether `inner` (if any) lies inside `outer`, give or take 2 % of the picture's width."""
    if inner is None:
        return True
    slack = max(2, width // 50)
    return (
        inner.x >= outer.x - slack
        and inner.y >= outer.y - slack
        and inner.right <= outer.right + slack
        and inner.bottom <= outer.bottom + slack
    )


def _scaled_corners(corners: Corners, k: float) -> Corners:
    tl, tr, br, bl = ((x * k, y * k) for x, y in corners)
    return tl, tr, br, bl


def _flattened(picture: U8, corners: Sequence[tuple[float, float]], width: int, height: int) -> U8:
    """The quadrilateral `corners` (top-left, top-right, bottom-right, bottom-left) of `picture`
    warped onto a `width` x `height` rectangle."""
    import cv2

    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    warp = cv2.getPerspectiveTransform(np.array(corners, dtype=np.float32), target)
    flat = cv2.warpPerspective(picture, warp, (width, height), flags=cv2.INTER_LINEAR)
    return np.ascontiguousarray(flat, dtype=np.uint8)


def _grey(rgb: U8) -> U8:
    import cv2

    return np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), dtype=np.uint8)


def describe_region(
    path: Path,
    geometry: Geometry,
    interval: Fraction = DESCRIBE_INTERVAL,
    *,
    grids: Sequence[Fraction] | None = None,
) -> Generator[DescribedFrame, None, None]:
    """A descriptor-only pass: the region's descriptors on the same grid as the main pass's. With
    `grids` (the main pass's `grid_decoding.GridDecoding`), the decoder skips the same frames it skipped and
    the frames are numbered alike, so that each region descriptor is made at a main-pass frame."""
    describer = Describer(geometry, variant="region")
    warnings: list[str] = []
    with single_threaded_maths(), open_video(path) as (container, stream):
        stream.codec_context.thread_type = "AUTO"
        grid = None if grids is None else GridDecoding(stream, grids)
        numbers = None if grid is None else FrameNumbers()
        start: Fraction | None = seconds(stream.start_time, stream.time_base)
        next_t = Fraction(0)
        with read_ahead(iter_frames(container, stream, warnings, numbers=numbers, before=grid)) as decoded:
            for count, frame in enumerate(decoded):
                index = count if numbers is None else numbers.number(frame, count)
                when = seconds(frame.pts, frame.time_base or stream.time_base)
                if start is None:
                    start = when or Fraction(0)
                t = (when - start) if when is not None else next_t
                if t >= next_t:
                    if (frame.width, frame.height) != (geometry.width, geometry.height):
                        frame = frame.reformat(geometry.width, geometry.height)
                    yield from describer.add(index, t, frame)
                    next_t = (t // interval + 1) * interval
        yield from describer.flush()
