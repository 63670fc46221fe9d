"""Hashes of every frame in a short time window of a stored video: used to check, frame by frame, a
still that may have been taken from it between two stored (sampled) frames."""

from __future__ import annotations

from pathlib import Path

from evidence.core.box import Box
from evidence.media.pdq import pdq_from_luma
from evidence.media.video.decode import canonical_luma, iter_frames, open_video, quarter_turns, seconds


def hash_window(path: Path, start: float, end: float, border: Box | None) -> list[tuple[float, bytes, int]]:
    """(time, canonical PDQ, quality) of every frame shown between `start` and `end` seconds; the border
    box is in upright pixels, as analysis reports it."""
    out: list[tuple[float, bytes, int]] = []
    warnings: list[str] = []
    with open_video(path) as (container, stream):
        stream.codec_context.thread_type = "AUTO"
        time_base = stream.time_base
        origin = seconds(stream.start_time, time_base) or 0
        if start > 0 and time_base:
            target = int((origin + max(0.0, start - 1.0)) / time_base)
            container.seek(target, stream=stream, backward=True, any_frame=False)
        turns: int | None = None
        for frame in iter_frames(container, stream, warnings):
            when = seconds(frame.pts, frame.time_base or time_base)
            if when is None:
                continue
            t = float(when - origin)
            if t < start:
                continue
            if t > end:
                break
            if turns is None:
                turns = quarter_turns(frame.rotation, warnings)
            out.append((t, *pdq_from_luma(canonical_luma(frame, turns, border))))
    return out
