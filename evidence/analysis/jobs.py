"""What the analysis worker runs, and the typed calls that run it.

Each job has two sides. The child's side (`*_job`) is what the worker imports by its `module:function`
string and runs; it imports media code only (no database, no CLI). The parent's side takes the
`Worker` and returns a typed result: `probe`, `analyse_media`, `frame_window`, `stills`,
`exact_frame`, `pictures` and `still_picture`. `Job` holds every target string the package sends to
the worker: callers use the typed functions, never a string.
All of them raise `WorkerFailure` as `Worker.call` does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Generator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidence import faults
from evidence.analysis.options import AnalysisOptions
from evidence.core.frames import MediaResult
from evidence.core.media_parts import MediaCollector, MediaPart
from evidence.core.types import MediaKind
from evidence.media.probe.common import ProbeResult

if TYPE_CHECKING:
    from evidence.analysis.worker import Worker

__all__ = [
    "Job",
    "Picture",
    "ProbeResult",
    "StillFrame",
    "WindowFrame",
    "analyse_media",
    "exact_frame",
    "exact_frame_job",
    "frame_window",
    "media_job",
    "media_stream_job",
    "pictures",
    "pictures_job",
    "probe",
    "probe_job",
    "remux",
    "remux_job",
    "still_picture",
    "still_picture_job",
    "stills",
    "stills_job",
    "window_job",
]

WindowFrame = tuple[float, bytes, int]
"""(time in seconds, canonical PDQ hash, quality) of one frame of a stored video."""
StillFrame = tuple[float, bytes]
"""(time asked, upright JPEG) of one frame of a stored video."""
Picture = tuple[float, Any]
"""(time asked, grey uint8 picture as matching describes it) of one frame of a stored video."""


class Job(StrEnum):
    """The registry: every job the worker runs, by the `module:function` it imports."""

    PROBE = "evidence.analysis.jobs:probe_job"
    MEDIA = "evidence.analysis.jobs:media_job"
    MEDIA_STREAM = "evidence.analysis.jobs:media_stream_job"
    WINDOW = "evidence.analysis.jobs:window_job"
    STILLS = "evidence.analysis.jobs:stills_job"
    EXACT_FRAME = "evidence.analysis.jobs:exact_frame_job"
    PICTURES = "evidence.analysis.jobs:pictures_job"
    STILL_PICTURE = "evidence.analysis.jobs:still_picture_job"
    REMUX = "evidence.analysis.jobs:remux_job"
    READ_TEXT = "evidence.analysis.jobs:read_text_job"


def _call(
    worker: Worker,
    job: Job,
    *args: Any,
    timeout: float,
    on_part: Callable[[Any], None] | None = None,
) -> Any:
    return worker.call(job.value, *args, timeout=timeout, on_part=on_part)


# --- the parent's side: typed calls -------------------------------------------------------------


def probe(worker: Worker, path: str, name: str, *, timeout: float) -> ProbeResult:
    """Probe one stored object (`name`, an original file name, only helps sniffing)."""
    result: ProbeResult = _call(worker, Job.PROBE, path, name, timeout=timeout)
    return result


def analyse_media(
    worker: Worker, path: str, kind: str, options: AnalysisOptions, *, timeout: float
) -> MediaResult:
    """Run `media_stream_job` in the worker and gather its parts here: the result `media_job` would
    return, with the dense query in a compact `QueryTable`."""
    collector = MediaCollector()
    final: MediaResult = _call(
        worker, Job.MEDIA_STREAM, path, kind, options, timeout=timeout, on_part=collector.add
    )
    return collector.result(final)


def frame_window(
    worker: Worker, path: str, start: float, end: float, border: dict[str, int] | None, *, timeout: float
) -> list[WindowFrame]:
    """Every frame's canonical hash between two times of a stored video (`border`: the box analysis
    found, as in the item's summary)."""
    window: list[WindowFrame] = _call(worker, Job.WINDOW, path, start, end, border, timeout=timeout)
    return window


def stills(worker: Worker, path: str, times: list[float], *, timeout: float) -> list[StillFrame]:
    """Upright JPEGs of the frames shown at these times of a stored video."""
    found: list[StillFrame] = _call(worker, Job.STILLS, path, times, timeout=timeout)
    return found


def exact_frame(
    worker: Worker, path: str, at: float, anchor: tuple[int, str] | None, *, timeout: float, png: bool = True
) -> Any:
    """The frame of a stored video shown at `at` seconds, exactly as decoded (an `ExactFrame` of
    `evidence.media.video.stills`, or None when nothing decodes); `anchor` a stored frame (number,
    pts) at or before it to start from."""
    return _call(worker, Job.EXACT_FRAME, path, at, anchor, png, timeout=timeout)


def pictures(
    worker: Worker,
    path: str,
    times: list[float],
    border: dict[str, int] | None,
    region: dict[str, int] | None,
    *,
    timeout: float,
) -> list[Picture]:
    """Grey pictures of a stored video at these times, without its border and cut to its footage
    region (both as in the item's summary), at `media.image.local_features.SHORT_SIDE`."""
    found: list[Picture] = _call(worker, Job.PICTURES, path, times, border, region, timeout=timeout)
    return found


def still_picture(worker: Worker, path: str, border: dict[str, int] | None, *, timeout: float) -> Any:
    """The grey picture of a still image as matching compares it with a video's frames (upright,
    without the `border` its analysis found), or None when it cannot be decoded."""
    return _call(worker, Job.STILL_PICTURE, path, border, timeout=timeout)


# (time or None for an image, width, height, words as `Word.to_json` rows, or a failure's reason)
TextReading = tuple[float | None, int, int, list[list[Any]] | str]


def read_text(
    worker: Worker,
    path: str,
    kind: str,
    times: list[float],
    engine: Any,
    *,
    timeout: float,
) -> list[TextReading]:
    """The words Tesseract (`media.ocr.Engine`) reads in an image, or in a video's frames shown at these
    times."""
    found: list[TextReading] = _call(worker, Job.READ_TEXT, path, kind, times, engine, timeout=timeout)
    return found


# --- the child's side: what the worker imports and runs -----------------------------------------


def probe_job(path: str, name: str) -> ProbeResult:
    """Probe one stored object, and read its content credentials (C2PA) when it has any."""
    from evidence.media.credentials import read_credentials
    from evidence.media.probe.dispatch import probe as probe_file

    probed = probe_file(Path(path), name=name)
    if probed.error or probed.kind not in (MediaKind.IMAGE, MediaKind.VIDEO, MediaKind.AUDIO):
        return probed
    return dataclasses.replace(probed, credentials=read_credentials(Path(path), probed.mime))


def media_job(path: str, kind: str, options: AnalysisOptions) -> MediaResult:
    """The one decode pass (video) or the image analysis, with dense query hashes for matching, in
    one reply (held whole in the worker: `media_stream_job` is for media of any length)."""
    from evidence.analysis import media_job as frames_job

    faults.hang_point("media")
    faults.checkpoint("media")
    return frames_job.run(Path(path), MediaKind(kind), options)


def media_stream_job(
    path: str, kind: str, options: AnalysisOptions
) -> Generator[MediaPart, None, MediaResult]:
    """`media_job` in parts, sent as the decode pass makes them: the worker holds one part at a time."""
    from evidence.analysis import media_job as frames_job

    faults.hang_point("media")
    faults.checkpoint("media")
    return (yield from frames_job.stream(Path(path), MediaKind(kind), options))


def window_job(path: str, start: float, end: float, border: dict[str, int] | None) -> list[WindowFrame]:
    """Every frame's canonical hash between two times of a stored video."""
    from evidence.core.box import Box
    from evidence.media.video.window import hash_window

    return hash_window(Path(path), start, end, None if border is None else Box.from_json(border))


def stills_job(path: str, times: list[float]) -> list[StillFrame]:
    """Upright JPEGs of the frames shown at these times of a stored video."""
    from evidence.media.video.stills import stills_at

    return stills_at(Path(path), times)


def remux(worker: Worker, inputs: list[Path], stem: Path, *, timeout: float) -> Path:
    """Separate video and audio files put together without re-encoding (`evidence.media.remux`);
    returns the file written (`stem` with .mp4 or .mkv)."""
    return Path(_call(worker, Job.REMUX, [str(p) for p in inputs], str(stem), timeout=timeout))


def remux_job(inputs: list[str], stem: str) -> str:
    from evidence.media.remux import remux as put_together

    return str(put_together([Path(p) for p in inputs], Path(stem)))


def exact_frame_job(path: str, at: float, anchor: tuple[int, str] | None, png: bool = True) -> Any:
    """The frame shown at `at` seconds of a stored video, upright at full size, with its number."""
    from evidence.media.video.stills import exact_frame as exact

    return exact(Path(path), at, anchor, png=png)


def pictures_job(
    path: str, times: list[float], border: dict[str, int] | None, region: dict[str, int] | None
) -> list[Picture]:
    """Grey pictures of a stored video at these times, as matching compares them."""
    from evidence.core.box import Box
    from evidence.media.image.local_features import SHORT_SIDE
    from evidence.media.video.stills import pictures_at

    boxes = [None if b is None else Box.from_json(b) for b in (border, region)]
    return pictures_at(Path(path), times, boxes[0], boxes[1], SHORT_SIDE)


def still_picture_job(path: str, border: dict[str, int] | None) -> Any:
    """The grey picture of a still image, as `pictures_job` gives a video's frames."""
    from evidence.core.box import Box
    from evidence.media.image.analyse import ImageError, load_upright_rgb, luma_of
    from evidence.media.image.local_features import SHORT_SIDE
    from evidence.media.video.stills import reduced_to

    try:
        luma = luma_of(load_upright_rgb(Path(path)))
    except (ImageError, OSError):
        return None
    if border is not None:
        luma = Box.from_json(border).crop(luma)
    return reduced_to(luma, SHORT_SIDE)


def read_text_job(path: str, kind: str, times: list[float], engine: Any) -> list[TextReading]:
    """Each picture decoded upright at full size (a video's in one pass), then read by Tesseract."""
    from evidence.media.image.analyse import ImageError, load_upright_rgb
    from evidence.media.ocr import ReadFailure, read_rgb
    from evidence.media.video.stills import upright_rgb_at

    if kind == MediaKind.IMAGE:
        try:
            pictures: Any = [(None, load_upright_rgb(Path(path)))]
        except (ImageError, OSError) as exc:
            return [(None, 0, 0, f"the picture could not be decoded: {exc}")]
    else:
        pictures = upright_rgb_at(Path(path), times)
    out: list[TextReading] = []
    for when, rgb in pictures:
        height, width = rgb.shape[:2]
        try:
            out.append((when, width, height, [w.to_json() for w in read_rgb(rgb, engine)]))
        except ReadFailure as exc:
            out.append((when, width, height, str(exc)))
    seen = {t for t, *_ in out}
    out += [(t, 0, 0, "no frame decodes there") for t in times if kind != MediaKind.IMAGE and t not in seen]
    return out
