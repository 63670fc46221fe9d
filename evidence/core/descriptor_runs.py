"""A descriptor line's runs (`core.descriptor_match`): where each really starts and ends, and how far
the descriptors alone make it convincing. Pure: no database, no media."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

import numpy as np
import numpy.typing as npt

from evidence.core.descriptor_place import F64
from evidence.core.matching import Segment


class RunParams(Protocol):
    @property
    def strong(self) -> float: ...
    @property
    def specific(self) -> float: ...
    @property
    def strong_flat(self) -> float: ...
    @property
    def strong_piece(self) -> float: ...
    @property
    def min_pairs(self) -> int: ...
    @property
    def segment_gap(self) -> float: ...


@dataclass(frozen=True, slots=True)
class Line:
    speed: float
    offset: float
    rows: tuple[int, ...]  # pair rows (into the candidate's arrays), one per query frame


class Evidence(Enum):
    """What the descriptors alone say of a run."""

    WEAK = "weak"  # not convincing: the pictures decide
    PIECE = "piece"  # convincing only as a piece judged on the stored side alone (`strong_piece`)
    SPECIFIC = "specific"  # strong and specific to its moments
    SURE = "sure"  # all but identical (`strong_flat`)


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


def evidence(
    similarities: Sequence[float] | F64,
    specificity: Sequence[float] | F64,
    params: RunParams,
    query_judged: npt.NDArray[np.bool_] | None = None,
) -> Evidence:
    """How far a run of pairs is evidence of a copy: its three best pairs average `strong_flat`, or
    `strong` when the run is specific (the frames resemble their aligned frames more than the rest).
    Where the specificity was judged on the stored side alone for most of the run (`query_judged`: a
    2 s piece of a compilation between cuts), unrelated footage of the same kind (one city's streets,
    one renderer's scenes) is specific too: the descriptors alone convince only from `strong_piece`
    on, and below it the pictures are checked."""
    top = float(np.mean(sorted(similarities, reverse=True)[:3]))
    if top >= params.strong_flat:
        return Evidence.SURE
    if top < params.strong or float(np.median(specificity)) < params.specific:
        return Evidence.WEAK
    if query_judged is None or float(np.mean(query_judged)) >= 0.5:
        return Evidence.SPECIFIC
    return Evidence.PIECE if top >= params.strong_piece else Evidence.WEAK


def runs(
    line: Line,
    tq: F64,
    ts: F64,
    sim: F64,
    spec: F64,
    judged: npt.NDArray[np.bool_],
    params: RunParams,
) -> list[tuple[Segment, list[int], Evidence]]:
    """The line's runs of query frames (split at `segment_gap`) that hold `min_pairs` frames and walk
    through the candidate, each with what the descriptors alone say of it."""
    rows = sorted(line.rows, key=lambda r: tq[r])
    split: list[list[int]] = [[rows[0]]] if rows else []
    for r in rows[1:]:
        if tq[r] - tq[split[-1][-1]] > params.segment_gap:
            split.append([r])
        else:
            split[-1].append(r)
    out = []
    for run in (trimmed(r, sim) for r in split):
        if len(run) < params.min_pairs:
            continue
        # a run must walk through the candidate: one stored frame like every query frame is a
        # picture like many others (a dim, blurred or plain frame), not an alignment
        stored = {round(float(ts[r]), 3) for r in run}
        expected = line.speed * (float(tq[run[-1]]) - float(tq[run[0]]))  # stored seconds it spans
        if len(stored) < max(2, int(expected / 2)):
            continue
        qs, qe = float(tq[run[0]]), float(tq[run[-1]])
        segment = Segment(
            round(qs, 3),
            round(qe, 3),
            round(line.speed * qs + line.offset, 3),
            round(line.speed * qe + line.offset, 3),
        )
        out.append((segment, run, evidence(sim[run], spec[run], params, judged[run])))
    return out
