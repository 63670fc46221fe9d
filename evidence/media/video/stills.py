"""Pictures of a stored video at given times (the frame shown at each time), as upright JPEG
thumbnails: for reports that draw a tag's box on the frame it tags when that frame has no keyframe
thumbnail."""

from __future__ import annotations

from pathlib import Path

from evidence.media.video.decode import iter_frames, open_video, quarter_turns, seconds
from evidence.media.video.keyframes import thumbnail_jpeg


def stills_at(path: Path, times: list[float]) -> list[tuple[float, bytes]]:
    """(time asked, JPEG) for each time, in the order asked; a time past the end gets the last frame."""
    wanted = sorted(set(times))
    found: dict[float, bytes] = {}
    warnings: list[str] = []
    for target in wanted:
        with open_video(path) as (container, stream):
            time_base = stream.time_base
            origin = seconds(stream.start_time, time_base) or 0
            if target > 0 and time_base:
                container.seek(
                    int((origin + max(0.0, target - 1.0)) / time_base), stream=stream, backward=True
                )
            last = None
            for frame in iter_frames(container, stream, warnings):
                when = seconds(frame.pts, frame.time_base or time_base)
                if when is None:
                    continue
                if float(when - origin) > target + 1e-6 and last is not None:
                    break
                last = frame
            if last is not None:
                found[target] = thumbnail_jpeg(last, quarter_turns(last.rotation, warnings))
    return [(t, found[t]) for t in times if t in found]
