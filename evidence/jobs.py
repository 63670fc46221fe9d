"""What the analysis worker runs. Kept apart from the use cases so the worker imports media code
only (no database, no CLI)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evidence import faults
from evidence.core.frames import MediaResult
from evidence.core.types import MediaKind


def probe_job(path: str, name: str) -> dict[str, Any]:
    """Probe one stored object."""
    from evidence.media.probe import probe

    result = probe(Path(path), name=name)
    return {
        "kind": result.kind.value,
        "mime": result.mime,
        "metadata": result.metadata,
        "error": result.error,
    }


def media_job(path: str, kind: str, quick: bool, sample_interval: str) -> MediaResult:
    """The one decode pass (video) or the image analysis."""
    from evidence.media import frames_job

    faults.hang_point("media")
    faults.checkpoint("media")
    return frames_job.run(Path(path), MediaKind(kind), quick=quick, sample_interval=sample_interval)
