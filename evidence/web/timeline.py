"""The item page's two timelines: marks on the player (tags at their times, the stretches a copy
shares with this item as the matcher aligned them) and the dated story of the footage (postings,
captures, claims, first catalogued) the report shows (`exports.report.timeline`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from evidence.browse.items import ItemView
from evidence.core.names import RelationStatus
from evidence.exports.report import timeline


@dataclass(frozen=True, slots=True)
class Mark:
    lane: str  # "tag" | "copy"
    start: float
    end: float | None
    label: str
    link: str | None = None
    status: str | None = None


def player_marks(view: ItemView) -> list[Mark]:
    """Tags that have a time, and for each live relation the parts of this item its copy shows."""
    marks = [
        Mark("tag", tag.t_start, tag.t_end, " › ".join(tag.path), f"#tag-{tag.id}")
        for tag in view.tags
        if tag.t_start is not None
    ]
    item_id = view.detail.item.id
    for relation, other in view.detail.relations:
        if relation.status == RelationStatus.REJECTED:
            continue
        evidence = relation.evidence or {}
        query = evidence.get("query_item", relation.b_id)  # older relations: the later item was the query
        side = "query" if query == item_id else "target"
        for segment in evidence.get("segments", []):
            start, end = segment.get(f"{side}_start"), segment.get(f"{side}_end")
            if isinstance(start, int | float) and isinstance(end, int | float):
                label = f"#{other.id} {relation.kind} ({relation.status})"
                marks.append(
                    Mark("copy", float(start), float(end), label, f"/items/{other.id}", relation.status)
                )
    return sorted(marks, key=lambda m: (m.lane, m.start))


def story(view: ItemView) -> list[dict[str, Any]]:
    """The dated moments of the item and its copies, oldest first, as the report lists them."""
    return timeline(view.story.to_json())
