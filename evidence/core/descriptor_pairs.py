"""From descriptors to the frame pairs `core.descriptor_match` explains: per query frame its most
similar stored frames of each candidate, each with its specificity (how much more like the very moment
it shows the pair is than like the same shot a few seconds away). Pure: no database, no media."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from evidence.core.descriptor_match import DescriptorParams, Pair
from evidence.core.descriptor_place import F64

INDISTINCT = 0.01
"""A query frame's pairs this close in similarity are ones the descriptors cannot tell apart: through a
still stretch of the candidate (a slide that stays up, with a screen capture's noise on it) every stored
frame is 0.981-0.986 like the query's, and which of them is most like it is chance: such pairs are all
kept, so that a line through the stretch finds its stored frames there."""
STILL_PAIRS = 12
"""The most pairs a query frame gets with one candidate through a still stretch (12 s of it: a longer
stretch fits any offset within it alike, which `core.offset_range` reports)."""
NEIGHBOURHOOD = (1.5, 6.0)  # seconds from a stored frame: the frames a pair's specificity is judged by
SAME_SHOT = 0.5  # ... when they are at least this similar to it (the same shot)


def pairs_of(
    query: npt.NDArray[np.float32],
    query_times: Sequence[float],
    targets: Mapping[int, tuple[Sequence[float], npt.NDArray[np.float32]]],
    params: DescriptorParams | None = None,
) -> list[Pair]:
    """The frame pairs between a query's descriptors (n x 512, at `query_times`) and each candidate's
    stored ones (its times and m x 512 descriptors): per query frame the `per_frame` most similar
    stored frames at least `pair` similar (and all those as like as the best, `STILL_PAIRS` at most),
    with their specificity (`_specificity`), the lower of the two sides' (0 when the stored side
    cannot be judged): a copy's frame is most like the very moment it shows, and that moment most
    like it; footage that looks alike throughout a shot, or one plain frame like everything, is
    neither."""
    params = params or DescriptorParams()
    out: list[Pair] = []
    qt = np.asarray(query_times, dtype=np.float64)
    for item_id, (times, vectors) in targets.items():
        if not len(vectors):
            continue
        at = np.asarray(times, dtype=np.float64)
        sims = query @ vectors.T  # (n, m)
        k = min(params.per_frame, sims.shape[1])
        ranked = np.argsort(-sims, axis=1)
        # beyond the `per_frame` best, the stored frames the descriptors cannot tell from the best
        # (a still stretch: which of them is most like the query's frame is chance)
        alike = np.count_nonzero(sims >= sims.max(axis=1, keepdims=True) - INDISTINCT, axis=1)
        taken = np.maximum(k, np.minimum(alike, STILL_PAIRS))
        for row, columns in enumerate(ranked[:, : int(taken.max())].tolist()):
            for column in columns[: taken[row]]:
                value = float(sims[row, column])
                if value < params.pair:
                    continue
                # the stored side must show it; the query side too where it can (a single picture, or a
                # 2 s piece of a compilation between cuts, has no moments of its own to compare)
                stored_side = _specificity(sims[row, :], at, column, vectors)
                query_side = _specificity(sims[:, column], qt, row, query)
                specificity = 0.0 if stored_side is None else stored_side
                if query_side is not None:
                    specificity = min(specificity, query_side)
                judged = query_side is not None
                out.append(Pair(row, item_id, float(times[column]), value, specificity, judged))
    return out


def _specificity(
    values: npt.NDArray[np.float32], times: F64, centre: int, vectors: npt.NDArray[np.float32]
) -> float | None:
    """How much more similar the pair is than the pairs with the same side's frames of the same shot
    (`SAME_SHOT`) a few seconds away (`NEIGHBOURHOOD`); None when there are fewer than two of those (a
    frame unlike the rest of its video, a short shot): nothing to judge by."""
    low, high = NEIGHBOURHOOD
    apart = np.abs(times - times[centre])
    near = np.flatnonzero((apart >= low) & (apart <= high))
    # across a cut the video shows other things, which says nothing about this pair
    near = near[vectors[near] @ vectors[centre] >= SAME_SHOT]
    if len(near) < 2:
        return None
    return float(values[centre]) - float(np.median(values[near]))
