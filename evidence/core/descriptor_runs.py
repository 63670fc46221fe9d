"""Where a descriptor run (`core.descriptor_match`) really starts and ends. Pure: no database, no media."""

from __future__ import annotations

from collections.abc import Sequence

from evidence.core.descriptor_place import F64

TRIM_MARGIN = 0.05
"""How much lower than every frame of the rest of a run a stretch at its end pairs, to be cut off."""


def trimmed(run: list[int], sim: F64) -> list[int]:
    """The run without a stretch at either end that pairs lower than every frame of the rest of it
    (by `TRIM_MARGIN`): a copy's frames pair about as well all along, and footage beside the copied
    part that the line happens to cross pairs worse (the gap before a compilation's 2 s piece, 0.59-0.61
    where the piece pairs at 0.92-0.93; the next section of a re-edit, 0.72-0.77 where the first pairs
    at 0.95-0.99). A stretch is two frames or more, and three are left."""
    values = [float(sim[r]) for r in run]

    def cut(values: list[float]) -> int:
        for n in range(len(values) - 3, 1, -1):
            if max(values[:n]) < min(values[n:]) - TRIM_MARGIN:
                return n
        return 0

    start = cut(values)
    end = len(values) - cut(values[start:][::-1])
    return run[start:end]


def covered(times: Sequence[float], spans: Sequence[tuple[float, float]], slack: float) -> float:
    """The share of `times` within `slack` of any of `spans`."""
    if not times:
        return 0.0
    inside = sum(1 for t in times if any(lo - slack <= t <= hi + slack for lo, hi in spans))
    return min(1.0, inside / len(times))
