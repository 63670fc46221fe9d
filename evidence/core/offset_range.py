"""How precisely the pictures place a segment: the offsets at which they agree as well as at the best.

A 2 s piece of a slide that stays up for 6 s, or of a still night view, looks the same at every offset
within that stretch: the matcher must name one line, but the pictures do not say which. Reporting that
one offset as if it were measured misleads whoever looks up the moment in the source. So each segment
found by the descriptors carries the range of offsets (stored time minus query time, at normal speed)
over which the segment's query frames are, on average, within `MARGIN` of their best similarity to the
candidate's frames near them (`REACH`): for footage that changes, about the stored frames' spacing
around the offset named; for a still stretch, the whole of it (up to `WINDOW` either side).

Pure: numpy only; the caller brings the descriptors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from evidence.core.matching import Segment

MARGIN: Final = 0.01
"""Offsets whose mean similarity is within this of the best are as good (descriptors of one picture
re-encoded differ by about this much)."""
STEP: Final = 0.25
"""Seconds between the offsets tried."""
REACH: Final = 0.5
"""A query frame at an offset is compared with the stored frames this close to where it lands (stored
frames are a second apart)."""
LINE_SPEED_SLACK: Final = 0.02
"""Only segments on a line at normal speed (their spans' ratio within this of 1, rounding aside) are
ranged; `core.coverage.SAME_SPEED` is another thing, the tolerance of spans measured from hits."""
LOOSE: Final = 2 * REACH
"""A range wider than this is worth saying: the offset named is one choice among many."""
WINDOW: Final = 60.0
"""Offsets are tried this many seconds either side of the one named (a longer still stretch is reported
to this extent), so the cost stays the same against an hour-long candidate."""

F32 = npt.NDArray[np.float32]


def offset_range(
    segment: Segment,
    query_times: Sequence[float],
    query: F32,
    target_times: Sequence[float],
    target: F32,
) -> tuple[float, float] | None:
    """The offsets at which `segment`'s query frames (`query`: unit descriptors at `query_times`) match
    the candidate's stored frames (`target` at `target_times`) as well as anywhere, as (low, high),
    always including the segment's own offset; None for a segment at another speed or without frames."""
    qs, qe = segment.query_start, segment.query_end
    ts, te = segment.target_start, segment.target_end
    if qe > qs and abs((te - ts) / (qe - qs) - 1.0) > LINE_SPEED_SLACK:
        return None
    qt = np.asarray(query_times, dtype=np.float64)
    rows = np.flatnonzero((qt >= qs - 1e-6) & (qt <= qe + 1e-6))
    at = np.asarray(target_times, dtype=np.float64)
    if not len(rows) or not len(at):
        return None
    own = ts - qs
    lo = max(float(at.min()) - qe - REACH, own - WINDOW)
    hi = min(float(at.max()) - qs + REACH, own + WINDOW)
    reachable = (at >= lo + qs - REACH) & (at <= hi + qe + REACH)
    at, target = at[reachable], target[reachable]
    if not len(at):
        return None
    sims = query[rows] @ target.T  # (run frames, stored frames within reach)
    offsets = own + STEP * np.arange(np.floor((lo - own) / STEP), np.ceil((hi - own) / STEP) + 1)
    scores = np.array([_score(o, qt[rows], at, sims) for o in offsets])
    good = scores >= float(scores.max()) - MARGIN  # the best itself always is
    # the stretch of good offsets around the best (a slide shown twice is two stretches)
    best = int(np.argmax(scores))
    left = right = best
    while left > 0 and good[left - 1]:
        left -= 1
    while right < len(good) - 1 and good[right + 1]:
        right += 1
    low, high = min(float(offsets[left]), own), max(float(offsets[right]), own)
    return (round(low, 3), round(high, 3))


def _score(offset: float, times: npt.NDArray[np.float64], at: npt.NDArray[np.float64], sims: F32) -> float:
    """The mean over the run's frames of their best similarity to a stored frame within `REACH` of
    where they land at `offset` (0 where none is)."""
    near = np.abs(at[None, :] - (times[:, None] + offset)) <= REACH + 1e-6
    best = np.where(near, sims, -1.0).max(axis=1)
    return float(np.clip(best, 0.0, None).mean())
