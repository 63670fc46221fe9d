"""Tags as callers see them: the term's path, the frame, the box and who put it there, with their
withdrawals. Functions take a Session and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.catalogue import withdrawals
from evidence.catalogue.annotation_models import Annotation
from evidence.catalogue.models import Frame, Item
from evidence.core.box import Box
from evidence.core.fragment import MediaFragment, format_clock, tag_fragment
from evidence.core.timeutil import iso
from evidence.core.vocab import Vocabulary


@dataclass(frozen=True, slots=True)
class TagView:
    """A tag as callers see it: the term's path, where it is, and who put it there."""

    id: int
    item_id: int
    sha256: str
    term_id: int
    path: tuple[str, ...]
    frame: int | None  # stored frame index, for a frame tag
    t_start: float | None  # seconds; a frame tag's frame time
    t_end: float | None
    box: Box | None
    frame_width: int | None
    frame_height: int | None
    confidence: float | None
    annotator: str
    note: str | None
    source: str
    created_at: datetime
    withdrawn_at: datetime | None = None
    withdrawn_by: str | None = None
    withdrawn_note: str | None = None

    @property
    def term(self) -> str:
        return self.path[-1]

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def on_frame(self) -> bool:
        return self.frame is not None or (self.t_start is not None and self.t_end is None)

    @property
    def media_fragment(self) -> MediaFragment:
        return tag_fragment(self.t_start, self.t_end, self.box, frame=self.on_frame)

    @property
    def fragment(self) -> str:
        """The W3C media fragment (`t=10,12&xywh=100,200,150,60`; "" for the whole item)."""
        return self.media_fragment.to_text()

    def where(self) -> str:
        """Where the tag is, for people: `frame 30 @ 0:01.000, box 100,200 150x60`."""
        parts = []
        if self.frame is not None:
            parts.append(f"frame {self.frame} @ {format_clock(self.t_start or 0.0)}")
        elif self.t_start is not None and self.t_end is None:
            parts.append(f"@ {format_clock(self.t_start)}")
        elif self.t_start is not None and self.t_end is not None:
            parts.append(f"{format_clock(self.t_start)}-{format_clock(self.t_end)}")
        if self.box is not None:
            parts.append(f"box {self.box.x},{self.box.y} {self.box.w}x{self.box.h}")
        return ", ".join(parts) or "whole item"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "item": {"id": self.item_id, "sha256": self.sha256},
            "term": self.term,
            "path": list(self.path),
            "frame": self.frame,
            "t_start": self.t_start,
            "t_end": self.t_end,
            "box": None if self.box is None else self.box.to_json(),
            "frame_size": (
                None
                if self.frame_width is None or self.frame_height is None
                else {"width": self.frame_width, "height": self.frame_height}
            ),
            "fragment": self.fragment,
            "confidence": self.confidence,
            "annotator": self.annotator,
            "note": self.note,
            "source": self.source,
            "created_at": iso(self.created_at),
            "withdrawn": self.withdrawn,
            "withdrawn_at": iso(self.withdrawn_at),
            "withdrawn_by": self.withdrawn_by,
            "withdrawn_note": self.withdrawn_note,
        }


def _frame_indices(session: Session, rows: Sequence[Annotation]) -> dict[tuple[int, float | None], int]:
    """The stored frame of each frame tag, found by its item and time: re-analysis re-makes an item's
    frame rows, so a tag keeps its frame's time (exact for the same bytes) rather than the row."""
    wanted = {(r.item_id, r.t_start) for r in rows if r.t_start is not None and r.t_end is None}
    if not wanted:
        return {}
    query = (
        select(Frame.item_id, Frame.t, Frame.idx)
        .where(Frame.item_id.in_({i for i, _ in wanted}), Frame.t.in_({t for _, t in wanted}))
        .order_by(Frame.idx.desc())
    )
    return {(item_id, t): idx for item_id, t, idx in session.execute(query)}


def tag_views(session: Session, vocab: Vocabulary, rows: Sequence[Annotation]) -> list[TagView]:
    """Views of these annotation rows (their frames' indices and items' hashes looked up at once)."""
    item_ids = {r.item_id for r in rows}
    frames = _frame_indices(session, rows)
    taken_back = withdrawals.of(session, "tag", [r.id for r in rows])
    hashes = {i: sha for i, sha in session.execute(select(Item.id, Item.sha256).where(Item.id.in_(item_ids)))}
    views = []
    for r in rows:
        box = None
        if r.box_x is not None and r.box_y is not None and r.box_w is not None and r.box_h is not None:
            box = Box(r.box_x, r.box_y, r.box_w, r.box_h)
        gone = taken_back.get(r.id)
        views.append(
            TagView(
                id=r.id,
                item_id=r.item_id,
                sha256=hashes[r.item_id],
                term_id=r.term_id,
                path=tuple(vocab.path(r.term_id)),
                frame=frames.get((r.item_id, r.t_start)) if r.t_end is None else None,
                t_start=r.t_start,
                t_end=r.t_end,
                box=box,
                frame_width=r.frame_width,
                frame_height=r.frame_height,
                confidence=r.confidence,
                annotator=r.annotator,
                note=r.note,
                source=r.source,
                created_at=r.created_at,
                withdrawn_at=None if gone is None else gone.withdrawn_at,
                withdrawn_by=None if gone is None else gone.withdrawn_by,
                withdrawn_note=None if gone is None else gone.note,
            )
        )
    return views


def tags_of(
    session: Session, vocab: Vocabulary, item_id: int, *, include_withdrawn: bool = False
) -> list[TagView]:
    """An item's tags in the order they were made (withdrawn ones only when asked for)."""
    query = select(Annotation).where(Annotation.item_id == item_id)
    if not include_withdrawn:
        query = query.where(withdrawals.standing("tag", Annotation.id))
    return tag_views(session, vocab, list(session.scalars(query.order_by(Annotation.id))))
