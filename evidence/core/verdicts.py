"""The verdict rules both matchers share (PDQ's `core.matching`, the descriptors' `core.descriptor_match`):
which query frames are common to many unrelated items, and what the query is to a candidate from the
shares of each side matched. Pure: no database, no media."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Container, Iterable
from typing import Protocol

from evidence.core.names import RelationKind


class QueryHit(Protocol):
    """A query frame's hit on a stored item (a PDQ `FrameHit`, a descriptor `Pair`)."""

    @property
    def query(self) -> int: ...

    @property
    def item_id(self) -> int: ...


def per_candidate[H: QueryHit](
    hits: Iterable[H],
    groups: dict[int, int],
    common_items: int,
    candidates: Container[int],
    counts: Callable[[H], bool] | None = None,
) -> dict[int, list[H]]:
    """The hits by candidate item, without those of query frames that hit more than `common_items`
    unrelated items (black, a bumper, a channel ident): copies of one footage (one group in `groups`)
    count once, so many copies do not make a frame common; with `counts`, only the hits it accepts
    count."""
    kept = list(hits)
    items_per_query: dict[int, set[int]] = defaultdict(set)
    for h in kept:
        if counts is None or counts(h):
            items_per_query[h.query].add(groups.get(h.item_id, -h.item_id))
    common = {q for q, items in items_per_query.items() if len(items) > common_items}
    per_item: dict[int, list[H]] = defaultdict(list)
    for h in kept:
        if h.query not in common and h.item_id in candidates:
            per_item[h.item_id].append(h)
    return per_item


def classify(
    query_share: float, target_share: float, longest: float, share: float, partial_seconds: float
) -> RelationKind | None:
    """What the query is to a candidate, from the shares of each side matched and the longest matched
    run (query seconds); None when it is no match at all."""
    if query_share >= share and target_share >= share:
        return RelationKind.DUPLICATE
    if query_share >= share:
        return RelationKind.EXCERPT_OF
    if target_share >= share:
        return RelationKind.CONTAINS
    if min(query_share, target_share) >= share - 0.15 and abs(query_share - target_share) <= 0.15:
        return RelationKind.DUPLICATE  # both sides mostly matched, evenly: a copy with frames hard to hash
    if longest >= partial_seconds:
        return RelationKind.PARTIAL
    return None
