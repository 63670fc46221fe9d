"""What the analysis worker runs. Kept apart from the use cases so the worker imports media code
only (no database, no CLI); `analyse_media` is the parent's side of `media_stream_job`."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidence import faults
from evidence.core.frames import MediaResult
from evidence.core.media_parts import MediaCollector, MediaPart
from evidence.core.types import MediaKind

if TYPE_CHECKING:
    from evidence.analysis.worker import Worker


def probe_job(path: str, name: str) -> dict[str, Any]:
    """Probe one stored object."""
    from evidence.media.probe.dispatch import probe

    result = probe(Path(path), name=name)
    return {
        "kind": result.kind.value,
        "mime": result.mime,
        "metadata": result.metadata,
        "error": result.error,
    }


def media_job(
    path: str, kind: str, quick: bool, sample_interval: str, query_interval: str | None = None
) -> MediaResult:
    """The one decode pass (video) or the image analysis, with dense query hashes for matching, in
    one reply (held whole in the worker: `media_stream_job` is for media of any length)."""
    from evidence.analysis import media_job as frames_job

    faults.hang_point("media")
    faults.checkpoint("media")
    return frames_job.run(
        Path(path),
        MediaKind(kind),
        quick=quick,
        sample_interval=sample_interval,
        query_interval=query_interval,
    )


def media_stream_job(
    path: str, kind: str, quick: bool, sample_interval: str, query_interval: str | None = None
) -> Generator[MediaPart, None, MediaResult]:
    """`media_job` in parts, sent as the decode pass makes them: the worker holds one part at a time."""
    from evidence.analysis import media_job as frames_job

    faults.hang_point("media")
    faults.checkpoint("media")
    return (
        yield from frames_job.stream(
            Path(path),
            MediaKind(kind),
            quick=quick,
            sample_interval=sample_interval,
            query_interval=query_interval,
        )
    )


def analyse_media(
    worker: Worker,
    path: str,
    kind: str,
    quick: bool,
    sample_interval: str,
    query_interval: str | None = None,
    *,
    timeout: float,
) -> MediaResult:
    """Run `media_stream_job` in the worker and gather its parts here: the result `media_job` would
    return, with the dense query in a compact `QueryTable`. Raises `WorkerFailure` as `Worker.call`."""
    collector = MediaCollector()
    final = worker.call(
        "evidence.analysis.jobs:media_stream_job",
        path,
        kind,
        quick,
        sample_interval,
        query_interval,
        timeout=timeout,
        on_part=collector.add,
    )
    return collector.result(final)


def window_job(
    path: str, start: float, end: float, border: dict[str, int] | None
) -> list[tuple[float, bytes, int]]:
    """Every frame's canonical hash between two times of a stored video."""
    from evidence.core.box import Box
    from evidence.media.video.window import hash_window

    return hash_window(Path(path), start, end, None if border is None else Box.from_json(border))


def stills_job(path: str, times: list[float]) -> list[tuple[float, bytes]]:
    """Upright JPEGs of the frames shown at these times of a stored video."""
    from evidence.media.video.stills import stills_at

    return stills_at(Path(path), times)
