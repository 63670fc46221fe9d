"""Use cases: `evidence tag`, `evidence untag` and `evidence tags` — terms of the vocabulary on an item,
one of its frames, a time range and/or a box. Each use case owns its transaction and logs a custody
event on the item's subject; a withdrawn tag stays as it was, beside its withdrawal."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.annotation.placement import Snap, place
from evidence.catalogue import custody, queries, withdrawals
from evidence.catalogue import vocab as catalogue_vocab
from evidence.catalogue.annotation_models import Annotation, Withdrawal
from evidence.catalogue.models import Frame, Item
from evidence.core.fragment import Box, MediaFragment, format_clock, tag_fragment
from evidence.core.text import printable
from evidence.core.timeutil import iso
from evidence.core.vocab import Vocabulary
from evidence.errors import NotFound, UsageError
from evidence.workspace import Workspace

MAX_TEXT = 20_000


def user_text(value: str | None, *, what: str) -> str | None:
    """Text an analyst typed, stored as given except what a database cannot hold: NUL characters are
    dropped (PostgreSQL refuses them) and undecodable command-line bytes are kept as `\\xNN` escapes.
    Empty or blank text is None."""
    if value is None:
        return None
    cleaned = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    cleaned = cleaned.replace("\x00", "")
    if not cleaned.strip():
        return None
    if len(cleaned) > MAX_TEXT:
        raise UsageError(f"{what} is at most {MAX_TEXT} characters")
    return cleaned


def required_text(value: str | None, *, what: str) -> str:
    """Like `user_text`, but empty or blank text is refused."""
    cleaned = user_text(value, what=what)
    if cleaned is None:
        raise UsageError(f"{what} cannot be empty")
    return cleaned


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


@dataclass(frozen=True, slots=True)
class TagResult:
    tag: TagView
    free: bool  # the term is a free term (not in the curated vocabulary)
    created: tuple[str, ...]  # paths of free terms made for this tag
    snap: Snap | None


def tag(
    ws: Workspace,
    ref: str,
    term: str,
    *,
    frame: int | None = None,
    at: Fraction | None = None,
    time_range: tuple[Fraction, Fraction] | None = None,
    box: Box | None = None,
    note: str | None = None,
    confidence: float | None = None,
    strict: bool = False,
    source: str = "manual",
    actor: str,
) -> TagResult:
    """Put a term on an item: whole, on one stored frame (`frame`, or `at` a time, snapped to the nearest
    stored frame), on a time range, and/or on a box in pixels of the displayed frame. An unknown term
    becomes a free term unless `strict`."""
    if frame is not None and at is not None:
        raise UsageError("give --frame or --at, not both")
    if (frame is not None or at is not None) and time_range is not None:
        raise UsageError("a tag is on one frame (--frame/--at) or on a time range (--range), not both")
    if confidence is not None and (math.isnan(confidence) or not 0.0 <= confidence <= 1.0):
        raise UsageError("--confidence is a number from 0 to 1")
    actor_text = required_text(actor, what="the annotator (--by)")
    note = user_text(note, what="--note")
    with ws.db.write() as session:
        item = queries.resolve_ref(session, ref)
        where = place(session, item, frame=frame, at=at, time_range=time_range, box=box)
        vocab = catalogue_vocab.load(session)
        choice = catalogue_vocab.ensure_term(session, vocab, term, strict=strict, actor=actor_text)
        row = Annotation(
            item_id=item.id,
            term_id=choice.term_id,
            # the frame is kept as its time (t_start), not as a link to the frame row: re-analysis
            # deletes and re-makes frame rows, which a RESTRICT foreign key would refuse
            frame_id=None,
            t_start=where.t_start,
            t_end=where.t_end,
            box_x=None if box is None else box.x,
            box_y=None if box is None else box.y,
            box_w=None if box is None else box.w,
            box_h=None if box is None else box.h,
            frame_width=where.width,
            frame_height=where.height,
            confidence=confidence,
            note=note,
            annotator=actor_text,
            source=source,
            created_at=custody.now(),
        )
        session.add(row)
        session.flush()
        view = tag_views(session, vocab, [row])[0]
        custody.append(
            session,
            actor=actor_text,
            action="tag",
            subject=f"item:{item.sha256}",
            details={
                "tag": row.id,
                "term": list(view.path),
                "free": choice.free,
                "frame": view.frame,
                "t": view.t_start if view.on_frame else None,
                "at": None if where.snap is None else where.snap.requested,
                "range": None if view.t_end is None else [view.t_start, view.t_end],
                "box": None if box is None else box.to_json(),
                "frame_size": None if row.frame_width is None else [row.frame_width, row.frame_height],
                "fragment": view.fragment,
                "confidence": confidence,
                "note": note,
                "source": source,
            },
            records=[("tag", row.id)],
        )
        free = choice.free or vocab.terms[choice.term_id].free
    return TagResult(view, free, choice.created, where.snap)


def untag(ws: Workspace, tag_id: int, *, note: str | None = None, actor: str) -> TagView:
    """Withdraw a tag: a withdrawal (who, when, why) is recorded and the tag is kept as it was;
    withdrawn tags count for nothing."""
    actor_text = required_text(actor, what="the annotator (--by)")
    note = user_text(note, what="--note")
    with ws.db.write() as session:
        row = queries.by_id(session, Annotation, tag_id)
        if row is None:
            raise NotFound(f"no tag with id {tag_id}: see `evidence tags REF`")
        earlier = withdrawals.of(session, "tag", [tag_id]).get(tag_id)
        if earlier is not None:
            raise UsageError(
                f"tag {tag_id} was already withdrawn at {iso(earlier.withdrawn_at)} by "
                f"{printable(earlier.withdrawn_by)}"
            )
        taken = Withdrawal(
            record="tag", record_id=row.id, withdrawn_at=custody.now(), withdrawn_by=actor_text, note=note
        )
        session.add(taken)
        session.flush()
        vocab = catalogue_vocab.load(session)
        view = tag_views(session, vocab, [row])[0]
        custody.append(
            session,
            actor=actor_text,
            action="untag",
            subject=f"item:{view.sha256}",
            details={"tag": row.id, "term": list(view.path), "fragment": view.fragment, "note": note},
            records=[("withdrawal", taken.id)],
        )
    return view


@dataclass(frozen=True, slots=True)
class ItemTags:
    item: Item
    tags: list[TagView]


def tags_of(
    session: Session, vocab: Vocabulary, item_id: int, *, include_withdrawn: bool = False
) -> list[TagView]:
    """An item's tags in the order they were made (withdrawn ones only when asked for)."""
    query = select(Annotation).where(Annotation.item_id == item_id)
    if not include_withdrawn:
        query = query.where(withdrawals.standing("tag", Annotation.id))
    return tag_views(session, vocab, list(session.scalars(query.order_by(Annotation.id))))


def list_tags(ws: Workspace, ref: str, *, include_withdrawn: bool = False) -> ItemTags:
    with ws.db.read() as session:
        item = queries.resolve_ref(session, ref)
        vocab = catalogue_vocab.load(session)
        return ItemTags(item, tags_of(session, vocab, item.id, include_withdrawn=include_withdrawn))
