"""Pictures of a stored video at given times (the frame shown at each time): upright JPEG thumbnails
for reports that draw a tag's box on the frame it tags when that frame has no keyframe thumbnail
(`stills_at`), and the grey pictures that matching compares point by point (`pictures_at`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from evidence.core.box import Box
from evidence.media.image.geometry import centred_bars
from evidence.media.video.decode import canonical_luma, iter_frames, open_video, quarter_turns, seconds
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
