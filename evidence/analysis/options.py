"""What an analysis is asked to make: one set of options, from the command to the worker process that
runs it (picklable, and free of the catalogue's imports, which the worker never loads)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AnalysisOptions:
    quick: bool = False  # key frames only, no dense query or cuts between them
    sample_interval: str = "1"  # seconds between sampled frames, as a fraction string
    query_interval: str | None = None  # seconds between query frames ("0": every frame); None: the default
    lookup: bool = False  # only the query and descriptors (a file looked up, not kept): no frames to store
