"""How PDQ's and the descriptors' verdicts on one candidate combine. Pure: no database, no media.

PDQ hashes the whole picture and its quarters; the descriptors (`core.descriptor_match`) see the
footage. A PDQ match on quarters alone is checked against what the descriptors saw (`corroborated`),
a descriptor match that the pictures did not confirm is confirmed by PDQ on the same alignment
(`vouched`), then each candidate gets one verdict, the stronger, with both kinds of evidence beside it
(`merge_matches`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import replace

from evidence.core.matching import REGIONS, ItemMatch, Segment
from evidence.core.names import RelationKind

CORROBORATES = 0.6
"""How like a candidate the query must look to the descriptors (its three best frames' similarity) for
a PDQ match on quarters alone to stand (a large logo or caption box over the same footage: 0.67–0.79
on the tune half of bench/dupes; unrelated clips in one programme frame, described apart: below)."""


def corroborated(
    by_pdq: Sequence[ItemMatch],
    by_descriptor: Sequence[ItemMatch],
    resemblance: dict[int, float],
    described: Collection[int],
) -> list[ItemMatch]:
    """The PDQ matches that stand beside the descriptors. A match on quarters of the picture alone
    may be a programme frame or a channel's graphics that two clips share: where both sides are
    described, the descriptors must see a likeness too. On one quarter alone (three quarters of the
    pictures differ), two clips in one programme frame with its ticker, or two slides under one
    channel's logo and bar, look as alike as a copy under a large logo does to its source: unless the
    descriptors found the match too, it is suggested as `partial` and joins no cluster. A match whose
    whole-picture hits are all loose beside a quarter's counts as one on its quarters (`pdq_evidence`)."""
    found = {m.item_id for m in by_descriptor}
    resembling = {i for i, value in resemblance.items() if value >= CORROBORATES}
    out = []
    for m in by_pdq:
        via = pdq_evidence(m)
        if not via <= REGIONS or m.item_id not in described or m.item_id in found:
            out.append(m)
        elif m.item_id in resembling:
            out.append(m if len(via) > 1 else replace(m, classification=RelationKind.PARTIAL))
    return out


CLOSE = 16
"""The PDQ distance (bits) within which a whole-picture hash vouches for a match of its own; beside a
quarter that matches, a whole picture that agrees only more loosely is the quarter's match."""


def pdq_evidence(m: ItemMatch) -> set[str]:
    """The hashes a PDQ match stands on: its quarters alone where its whole-picture hits are loose."""
    regions = set(m.via) & REGIONS
    if not regions or m.whole_distance is None or m.whole_distance <= CLOSE:
        return set(m.via)
    return regions


VOUCHES = 3.0
"""Query seconds a PDQ match must share with a descriptor match, on its alignment, to confirm it (PDQ's
own shortest `partial`)."""


def vouched(
    by_pdq: Sequence[ItemMatch], by_descriptor: Sequence[ItemMatch], tolerance: float
) -> list[ItemMatch]:
    """The descriptor matches, with those suggested as `partial` for want of a picture check that
    confirms them (`ItemMatch.unconfirmed`) confirmed where PDQ matched the same item on the same
    alignment (target times within `tolerance`) for `VOUCHES` query seconds. PDQ's hashes of the whole
    picture or its quarters say the pictures are the same at those moments, which look-alike footage
    is not; and the descriptors say how far the copy runs where PDQ lost it. A large opaque box over a
    copy is such a case: in place over the source's pixels, the point check cannot tell it from a
    programme's graphics over other footage, PDQ's uncovered quarters match only the frames with
    enough contrast in them, and the descriptors see every frame."""
    segments: dict[int, list[Segment]] = defaultdict(list)
    for m in by_pdq:
        segments[m.item_id].extend(m.segments)
    out = []
    for m in by_descriptor:
        if m.unconfirmed is not None and _aligned(segments[m.item_id], m.segments, tolerance) >= VOUCHES:
            m = replace(m, classification=m.unconfirmed, unconfirmed=None)
        out.append(m)
    return out


def _aligned(pdq: Sequence[Segment], descriptor: Sequence[Segment], tolerance: float) -> float:
    """The query seconds over which PDQ's segments lie on the descriptors' lines."""
    total = 0.0
    for p in pdq:
        for s in descriptor:
            lo, hi = max(p.query_start, s.query_start), min(p.query_end, s.query_end)
            if hi > lo and all(abs(_target_at(s, t) - _target_at(p, t)) <= tolerance for t in (lo, hi)):
                total += hi - lo
    return total


def _target_at(s: Segment, t: float) -> float:
    """The target time a segment's line gives query time `t`."""
    span = s.query_end - s.query_start
    speed = (s.target_end - s.target_start) / span if span > 0 else 1.0
    return s.target_start + speed * (t - s.query_start)


_STRENGTH = {
    RelationKind.DUPLICATE: 3,
    RelationKind.EXCERPT_OF: 2,
    RelationKind.CONTAINS: 2,
    RelationKind.PARTIAL: 1,
}


def merge_matches(by_hash: Sequence[ItemMatch], by_descriptor: Sequence[ItemMatch]) -> list[ItemMatch]:
    """One match per item from the PDQ and the descriptor matches: the stronger verdict (duplicate over
    excerpt/contains over partial; on a par, PDQ's, whose dense query times the segments more finely)
    with the other's frame evidence beside it."""
    by_item: dict[int, list[ItemMatch]] = defaultdict(list)
    for m in [*by_hash, *by_descriptor]:
        by_item[m.item_id].append(m)
    merged = []
    for found in by_item.values():
        primary = max(found, key=lambda m: (_STRENGTH[m.classification], bool(m.closest), m.score))
        merged.append(
            replace(
                primary,
                closest=next((m.closest for m in found if m.closest), ()),
                similar=next((m.similar for m in found if m.similar), ()),
                matched_frames=max(m.matched_frames for m in found),
                via=tuple(sorted({v for m in found for v in m.via})),
            )
        )
    merged.sort(key=lambda m: (-m.score, m.item_id))
    return merged
