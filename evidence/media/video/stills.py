"""Pictures of a stored video at given times (the frame shown at each time): upright JPEG thumbnails
for reports that draw a tag's box on the frame it tags when that frame has no keyframe thumbnail
(`stills_at`), the grey pictures that matching compares point by point (`pictures_at`), and one frame
exactly as decoded, at its full size, with its number and time (`exact_frame`, for `evidence frame`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from evidence.core.box import Box
from evidence.media.image.geometry import centred_bars
from evidence.media.pdq import pdq_from_rgb
from evidence.media.video.decode import (
    CONVERTING,
    canonical_luma,
    iter_frames,
    open_video,
    quarter_turns,
    seconds,
)
from evidence.media.video.keyframes import thumbnail_jpeg

U8 = npt.NDArray[np.uint8]


SEEK_AHEAD = 3.0
"""Seconds ahead of the decoder beyond which the next time asked is reached by seeking, not decoding."""


def _frames_at(path: Path, times: list[float]) -> Iterator[tuple[float, Any]]:
    """(time asked, the frame shown then) for each distinct time, in time order; a time past the end
    gets the last frame. One pass over the file: times close together are decoded through, a time
    further ahead is sought (from a key frame a second before it)."""
    wanted = sorted(set(times))
    if not wanted:
        return
    warnings: list[str] = []
    with open_video(path) as (container, stream):
        time_base = stream.time_base
        origin = seconds(stream.start_time, time_base) or 0
        i = 0
        while i < len(wanted):
            target = wanted[i]
            if target > 0 and time_base:
                container.seek(
                    int((origin + max(0.0, target - 1.0)) / time_base), stream=stream, backward=True
                )
            last, start = None, i
            for frame in iter_frames(container, stream, warnings):
                when = seconds(frame.pts, frame.time_base or time_base)
                if when is None:
                    continue
                t = float(when - origin)
                while i < len(wanted) and t > wanted[i] + 1e-6 and last is not None:
                    yield wanted[i], last
                    i += 1
                if i >= len(wanted) or (i > start and wanted[i] - t > SEEK_AHEAD):
                    break
                last = frame
            else:  # the end: the times left get the last frame
                if last is not None:
                    for rest in wanted[i:]:
                        yield rest, last
                return
            if last is None and i < len(wanted):  # nothing decodable from here on
                return


def _turns(frame: Any) -> int:
    return quarter_turns(frame.rotation, [])


def stills_at(path: Path, times: list[float]) -> list[tuple[float, bytes]]:
    """(time asked, JPEG) for each time, in the order asked; a time past the end gets the last frame."""
    found = {t: thumbnail_jpeg(frame, _turns(frame)) for t, frame in _frames_at(path, times)}
    return [(t, found[t]) for t in times if t in found]


def upright_rgb_at(path: Path, times: list[float]) -> Iterator[tuple[float, U8]]:
    """(time asked, the upright RGB picture shown then, at full size) for each distinct time, in time
    order, one at a time (a long video's keyframes are never held together): one pass, as `stills_at`."""
    for t, frame in _frames_at(path, times):
        with CONVERTING:
            rgb = frame.to_ndarray(format="rgb24")
        yield t, np.ascontiguousarray(np.rot90(rgb, _turns(frame)))


FULL_RANGE = 2  # AVCOL_RANGE_JPEG


def pictures_at(
    path: Path, times: list[float], border: Box | None, region: Box | None, short_side: int
) -> list[tuple[float, U8]]:
    """(time asked, grey picture) for each time, in the order asked: the upright frame without its
    `border` (upright pixels), cut to the footage `region` (pixels of the picture inside the border)
    or else to the picture between its own bars (`centred_bars`), as matching describes it, reduced
    so that its short side is at most `short_side` pixels."""
    found: dict[float, U8] = {}
    for t, frame in _frames_at(path, times):
        picture = canonical_luma(frame, _turns(frame), border)
        inside = region if region is not None else centred_bars(_full_range(picture, frame))
        if inside is not None:
            picture = inside.crop(picture)
        found[t] = reduced_to(picture, short_side)
    return [(t, found[t]) for t in times if t in found]


def reduced_to(picture: U8, short_side: int) -> U8:
    """A grey picture reduced (area averaging) so that its short side is at most `short_side` pixels."""
    import cv2

    height, width = picture.shape[:2]
    scale = short_side / max(1, min(width, height))
    if scale < 1:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        picture = np.asarray(cv2.resize(picture, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    return np.ascontiguousarray(picture, dtype=np.uint8)


def _full_range(luma: U8, frame: Any) -> U8:
    """The luma on the 0..255 scale the described pictures are on (black 0): a limited-range Y plane
    (black at 16, white at 235: YUV not flagged full range) stretched, others as they are."""
    name = frame.format.name
    if not name.startswith("yuv") or name.startswith("yuvj") or frame.color_range == FULL_RANGE:
        return luma
    stretched = (luma.astype(np.int32) - 16) * 255 // 219
    return np.clip(stretched, 0, 255).astype(np.uint8)


@dataclass(frozen=True, slots=True)
class ExactFrame:
    png: bytes  # the decoded frame, upright, at its full size, as a PNG (lossless)
    index: int  # its number in a full decode (0 the first), as the catalogue's frames are numbered
    pts: int
    time_base: str  # "1/15360"
    time: float  # seconds from the stream's start
    width: int  # of the PNG (upright)
    height: int
    quarter_turns: int  # the rotation applied to make it upright
    pdq: str  # the PDQ hash of the upright picture (hex), and its quality
    pdq_quality: int


def exact_frame(
    path: Path, at: float, anchor: tuple[int, str] | None = None, *, png: bool = True
) -> ExactFrame | None:
    """The frame shown at `at` seconds (the last frame at or before it; past the end, the last frame),
    numbered and timed as the analysis numbers and times frames (from the stream's start). `anchor`
    is a stored frame (number, time as "num/den" seconds) at or before `at`: decoding starts from the
    key frame before it instead of from the beginning, and from the beginning if it is not met.
    Without `png` the picture is only hashed (its `png` is empty)."""
    import io

    from PIL import Image

    found = _numbered(path, at, anchor) if anchor is not None else None
    if found is None:
        found = _numbered(path, at, None)
    if found is None:
        return None
    frame, index, t = found
    turns = _turns(frame)
    with CONVERTING:
        rgb = frame.to_ndarray(format="rgb24")
    upright_rgb = np.ascontiguousarray(np.rot90(rgb, turns))
    out = io.BytesIO()
    if png:
        Image.fromarray(upright_rgb).save(out, format="PNG")
    digest, quality = pdq_from_rgb(upright_rgb)
    return ExactFrame(
        png=out.getvalue(),
        index=index,
        pts=-1 if frame.pts is None else int(frame.pts),
        time_base=str(frame.time_base),
        time=float(t),
        width=int(upright_rgb.shape[1]),
        height=int(upright_rgb.shape[0]),
        quarter_turns=turns % 4,
        pdq=digest.hex(),
        pdq_quality=quality,
    )


def _numbered(path: Path, at: float, anchor: tuple[int, str] | None) -> tuple[Any, int, Fraction] | None:
    """(frame, its number, its time) of the frame shown at `at`, or None (from `anchor`: when the
    stored frame is not met where it was)."""
    warnings: list[str] = []
    with open_video(path) as (container, stream):
        time_base = stream.time_base
        start = seconds(stream.start_time, time_base)
        rate = Fraction(stream.average_rate or stream.guessed_rate or 0)
        counting = anchor is None
        anchor_t = Fraction(anchor[1]) if anchor is not None else Fraction(0)
        if anchor is not None:
            if start is None or not time_base:
                return None
            container.seek(
                int((start + max(Fraction(0), anchor_t - 1)) / time_base), stream=stream, backward=True
            )
        number, t = -1, Fraction(0)
        last: tuple[Any, int, Fraction] | None = None
        for frame in iter_frames(container, stream, warnings):
            when = seconds(frame.pts, frame.time_base or time_base)
            if start is None and when is not None:
                start = when
            t = when - (start or 0) if when is not None else t + (1 / rate if rate and last else 0)
            if not counting:
                if when is None or t < anchor_t:
                    continue
                if t != anchor_t:
                    return None
                counting, number = True, anchor[0] - 1 if anchor is not None else -1
            number += 1
            if t > Fraction(at) + Fraction(1, 1_000_000) and last is not None:
                break
            last = (frame, number, t)
        return last
