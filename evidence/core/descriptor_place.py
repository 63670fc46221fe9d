"""Where a descriptor line lies (`core.descriptor_match`): the weight of each pair in placing it, and
its offset read between the stored frames, which are one a second while the query's are two.
Pure: no database, no media."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]

PLACE_FLOOR: Final = 0.05  # a pair's weight in placing a line: similarity^8 x (specificity + this)


def between_stored_frames(
    speed: float,
    rows: Sequence[int],
    q: npt.NDArray[np.int64],
    tq: F64,
    ts: F64,
    sim: F64,
    spec: F64,
    target_times: Sequence[float],
    known: Mapping[tuple[int, float], float],
) -> float:
    """A line's offset (its `speed` and one pair row per query frame, `rows`) read between the stored
    frames (one a second, so the pairs alone put it on a half-second grid): for each of its query
    frames whose stored frames before and after the best one are paired too, the time it shows is the
    top of the parabola through the three similarities (similarity falls off on both sides of the
    moment shown); the offset is those times' median, weighted by `placing`. A still shot (no top)
    keeps the grid. `known`: the candidate's pair similarities by (query row, stored time rounded to
    the ms)."""
    shown = []
    for r in rows:
        t0 = float(ts[r])
        at = int(np.searchsorted(target_times, t0 - 1e-6))
        time = t0
        if 0 < at < len(target_times) - 1 and abs(target_times[at] - t0) < 1e-3:
            before, after = target_times[at - 1], target_times[at + 1]
            s_before = known.get((int(q[r]), round(before, 3)))
            s_after = known.get((int(q[r]), round(after, 3)))
            if s_before is not None and s_after is not None:
                time = _vertex((before, s_before), (t0, float(sim[r])), (after, s_after))
        shown.append(time - speed * float(tq[r]))
    chosen = np.array(rows, dtype=np.int64)
    return weighted_median(np.array(shown), placing(sim[chosen], spec[chosen]))


def _vertex(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> float:
    """Where the parabola through three (time, similarity) points peaks; `b`'s time when it does not
    (no curvature), held between `a`'s and `c`'s times."""
    (x0, y0), (x1, y1), (x2, y2) = a, b, c
    d0, d2 = x0 - x1, x2 - x1
    curvature = (y0 - y1) * d2 - (y2 - y1) * d0  # negative where the parabola opens downwards
    slope = (y0 - y1) * d2 * d2 - (y2 - y1) * d0 * d0
    if curvature >= 0:  # a valley or a straight line: no peak between
        return x1
    return float(np.clip(x1 + 0.5 * slope / curvature, (x0 + x1) / 2, (x1 + x2) / 2))


def placing(sim: F64, spec: F64) -> F64:
    """How much a pair weighs in placing a line: the most similar pairs most (the stored grid is one
    frame a second, the query's two: the closest pairs are those on both grids), and a pair specific
    to its moment more than a pair on a still stretch, which fits the line anywhere along the stretch."""
    return np.asarray(sim**8 * (np.clip(spec, 0, 1) + PLACE_FLOOR), dtype=np.float64)


def weighted_median(values: F64, weights: F64) -> float:
    """The value at which the weights below and above balance."""
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return float(values[order][int(np.searchsorted(cumulative, cumulative[-1] / 2))])
