"""Use cases: `evidence tag`, `evidence untag` and `evidence tags` — terms of the vocabulary on an item,
one of its frames, a time range and/or a box. Each use case owns its transaction and logs a custody
event on the item's subject; a withdrawn tag stays as it was, beside its withdrawal."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from evidence.annotation.placement import TIME_SLACK, Snap, place
from evidence.catalogue import custody, queries, withdrawals
from evidence.catalogue import vocab as catalogue_vocab
from evidence.catalogue.annotation_models import Annotation
from evidence.catalogue.models import Item
from evidence.catalogue.tags import TagView, tag_views, tags_of
from evidence.core.box import Box
from evidence.core.custody import CustodyAction
from evidence.core.text import required_text, user_text
from evidence.errors import NotFound, UsageError
from evidence.workspace import Workspace


@dataclass(frozen=True, slots=True)
class TagResult:
    tag: TagView
    free: bool  # the term is a free term (not in the curated vocabulary)
    created: tuple[str, ...]  # paths of free terms made for this tag
    snap: Snap | None
    nearest: tuple[str, ...] = ()  # a new free term's closest curated terms ("did you mean")


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
    shown = _shown_at(ws, ref, at) if at is not None else None
    with ws.db.write() as session:
        item = queries.resolve_ref(session, ref)
        where = place(session, item, frame=frame, at=at, time_range=time_range, box=box, shown=shown)
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
            action=CustodyAction.TAG,
            subject=f"item:{item.sha256}",
            details={
                "tag": row.id,
                "term": list(view.path),
                "free": choice.free,
                "frame": view.frame,
                "t": view.t_start if view.on_frame else None,
                "at": None if where.snap is None else where.snap.requested,
                "decoded_frame": None
                if shown is None
                else {"index": shown.frame, "time": shown.t, "pdq": shown.pdq},
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
    return TagResult(view, free, choice.created, where.snap, choice.nearest)


def _shown_at(ws: Workspace, ref: str, at: Fraction) -> Snap | None:
    """The frame of a video shown at `at`, decoded exactly (its number, time and PDQ), so that a tag
    `--at 12.4` is on the picture the analyst chose, not the stored frame a second away; None for an
    item that is not a video (placing refuses `--at` there) or a time outside it (refused too)."""
    from evidence.analysis.moments import frame_shown_at
    from evidence.annotation.placement import media_duration

    with ws.db.read() as session:
        item = queries.resolve_ref(session, ref)
    duration = media_duration(item)
    if item.kind != "video" or at < 0 or (duration is not None and at > duration + TIME_SLACK):
        return None
    found = frame_shown_at(ws, item, float(at), png=False)
    return Snap(requested=float(at), frame=found.index, t=found.time, pdq=found.pdq)


def untag(ws: Workspace, tag_id: int, *, note: str | None = None, actor: str) -> TagView:
    """Withdraw a tag: a withdrawal (who, when, why) is recorded and the tag is kept as it was;
    withdrawn tags count for nothing."""
    actor_text = required_text(actor, what="the annotator (--by)")
    note = user_text(note, what="--note")
    with ws.db.write() as session:
        row = queries.by_id(session, Annotation, tag_id)
        if row is None:
            raise NotFound(f"no tag with id {tag_id}: see `evidence tags REF`")
        taken = withdrawals.take_back(session, "tag", row.id, actor=actor_text, note=note)
        vocab = catalogue_vocab.load(session)
        view = tag_views(session, vocab, [row])[0]
        custody.append(
            session,
            actor=actor_text,
            action=CustodyAction.UNTAG,
            subject=f"item:{view.sha256}",
            details={"tag": row.id, "term": list(view.path), "fragment": view.fragment, "note": note},
            records=[("withdrawal", taken.id)],
        )
    return view


@dataclass(frozen=True, slots=True)
class ItemTags:
    item: Item
    tags: list[TagView]


def list_tags(ws: Workspace, ref: str, *, include_withdrawn: bool = False) -> ItemTags:
    with ws.db.read() as session:
        item = queries.resolve_ref(session, ref)
        vocab = catalogue_vocab.load(session)
        return ItemTags(item, tags_of(session, vocab, item.id, include_withdrawn=include_withdrawn))
