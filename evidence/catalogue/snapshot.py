"""A snapshot of the catalogue's records for an export (the whole catalogue, or some items and what
belongs to them), read in one transaction. Functions take a Session and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from evidence.catalogue import custody, queries, withdrawals
from evidence.catalogue import relations as rel_db
from evidence.catalogue.capture_models import Capture, CaptureMedia
from evidence.catalogue.models import (
    Acquisition,
    Annotation,
    Claim,
    Claimant,
    ClaimItem,
    Description,
    Event,
    Frame,
    Item,
    Place,
    Term,
    TermAlias,
    Withdrawal,
)
from evidence.catalogue.relations import RelationState


@dataclass(frozen=True, slots=True)
class Records:
    """What one export holds, read in one transaction. `refs` is empty for a whole-catalogue export."""

    chain_head: str | None
    event_count: int
    refs: tuple[str, ...]
    items: list[Item]
    acquisitions: list[Acquisition] = field(default_factory=list)
    acquisition_withdrawals: dict[int, Withdrawal] = field(default_factory=dict)  # by acquisition id
    frames: list[Frame] = field(default_factory=list)
    terms: list[Term] = field(default_factory=list)
    aliases: list[TermAlias] = field(default_factory=list)
    tags: list[Annotation] = field(default_factory=list)
    withdrawals: dict[int, Withdrawal] = field(default_factory=dict)  # by tag id
    claimants: list[Claimant] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    claim_withdrawals: dict[int, Withdrawal] = field(default_factory=dict)  # by claim id
    claim_items: list[ClaimItem] = field(default_factory=list)
    descriptions: list[Description] = field(default_factory=list)
    relations: list[RelationState] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    captures: list[Capture] = field(default_factory=list)
    capture_media: list[CaptureMedia] = field(default_factory=list)


def gather(session: Session, refs: Sequence[str]) -> Records:
    """Everything an export holds, read in one transaction: all items, or the items `refs` name and the
    records that concern them (their acquisitions, frames, tags, claims with their claimants and places,
    descriptions, relations among them, the terms these use with their ancestors, their custody events)."""
    head = custody.head(session)
    count = int(session.scalar(select(func.count()).select_from(Event)) or 0)
    if not refs:
        return Records(
            chain_head=head.hash if head else None,
            event_count=count,
            refs=(),
            items=list(session.scalars(select(Item).order_by(Item.id))),
            acquisitions=list(session.scalars(select(Acquisition).order_by(Acquisition.id))),
            acquisition_withdrawals=withdrawals.of(session, "acquisition", None),
            frames=list(session.scalars(select(Frame).order_by(Frame.item_id, Frame.idx))),
            terms=list(session.scalars(select(Term).order_by(Term.id))),
            aliases=list(session.scalars(select(TermAlias).order_by(TermAlias.id))),
            tags=list(session.scalars(select(Annotation).order_by(Annotation.id))),
            withdrawals=withdrawals.of(session, "tag", None),
            claimants=list(session.scalars(select(Claimant).order_by(Claimant.id))),
            places=list(session.scalars(select(Place).order_by(Place.id))),
            claims=list(session.scalars(select(Claim).order_by(Claim.id))),
            claim_withdrawals=withdrawals.of(session, "claim", None),
            claim_items=list(session.scalars(select(ClaimItem))),
            descriptions=list(session.scalars(select(Description).order_by(Description.id))),
            relations=rel_db.states(session),
            events=list(session.scalars(select(Event).order_by(Event.seq))),
            captures=list(session.scalars(select(Capture).order_by(Capture.id))),
            capture_media=list(session.scalars(select(CaptureMedia).order_by(CaptureMedia.id))),
        )
    chosen = {item.id: item for item in (queries.resolve_ref(session, ref) for ref in refs)}
    captures = _captures_of(session, list(chosen))
    for capture in captures:  # a captured file goes with its page as served, screenshot and metadata
        for companion in (capture.page_item_id, capture.screenshot_item_id, capture.metadata_item_id):
            if companion is not None and companion not in chosen:
                chosen[companion] = session.get_one(Item, companion)
    ids = sorted(chosen)
    items = [chosen[i] for i in ids]
    tags = list(
        session.scalars(select(Annotation).where(Annotation.item_id.in_(ids)).order_by(Annotation.id))
    )
    acquisitions = list(
        session.scalars(select(Acquisition).where(Acquisition.item_id.in_(ids)).order_by(Acquisition.id))
    )
    descriptions = list(
        session.scalars(select(Description).where(Description.item_id.in_(ids)).order_by(Description.id))
    )
    claim_items = list(session.scalars(select(ClaimItem).where(ClaimItem.item_id.in_(ids))))
    claims = list(
        session.scalars(
            select(Claim).where(Claim.id.in_({ci.claim_id for ci in claim_items})).order_by(Claim.id)
        )
    )
    claimants = list(
        session.scalars(
            select(Claimant).where(Claimant.id.in_({c.claimant_id for c in claims})).order_by(Claimant.id)
        )
    )
    place_ids = {c.place_id for c in claims if c.place_id is not None}
    places = list(session.scalars(select(Place).where(Place.id.in_(place_ids)).order_by(Place.id)))
    terms = _terms_with_ancestors(session, {t.term_id for t in tags} | {d.term_id for d in descriptions})
    term_ids = [t.id for t in terms]
    subjects = [f"item:{item.sha256}" for item in items]
    subjects += [f"term:{i}" for i in term_ids]
    subjects += [f"claim:{c.id}" for c in claims]
    subjects += [f"claimant:{c.id}" for c in claimants] + [f"place:{p.id}" for p in places]
    subjects += [f"capture:{c.id}" for c in captures]
    return Records(
        chain_head=head.hash if head else None,
        event_count=count,
        refs=tuple(refs),
        items=items,
        acquisitions=acquisitions,
        acquisition_withdrawals=withdrawals.of(session, "acquisition", [a.id for a in acquisitions]),
        frames=list(
            session.scalars(select(Frame).where(Frame.item_id.in_(ids)).order_by(Frame.item_id, Frame.idx))
        ),
        terms=terms,
        aliases=list(
            session.scalars(select(TermAlias).where(TermAlias.term_id.in_(term_ids)).order_by(TermAlias.id))
        ),
        tags=tags,
        withdrawals=withdrawals.of(session, "tag", [t.id for t in tags]),
        claimants=claimants,
        places=places,
        claims=claims,
        claim_withdrawals=withdrawals.of(session, "claim", [c.id for c in claims]),
        claim_items=claim_items,
        descriptions=descriptions,
        relations=rel_db.states(session, rel_db.STATE.c.a_id.in_(ids), rel_db.STATE.c.b_id.in_(ids)),
        events=list(session.scalars(select(Event).where(Event.subject.in_(subjects)).order_by(Event.seq))),
        captures=captures,
        capture_media=list(
            session.scalars(
                select(CaptureMedia)
                .where(CaptureMedia.capture_id.in_([c.id for c in captures]))
                .order_by(CaptureMedia.id)
            )
        ),
    )


def _captures_of(session: Session, item_ids: list[int]) -> list[Capture]:
    """The captures these items came from (as media) or belong to (as page, screenshot or metadata)."""
    as_media = select(CaptureMedia.capture_id).where(CaptureMedia.item_id.in_(item_ids))
    query = select(Capture).where(
        or_(
            Capture.id.in_(as_media),
            Capture.page_item_id.in_(item_ids),
            Capture.screenshot_item_id.in_(item_ids),
            Capture.metadata_item_id.in_(item_ids),
        )
    )
    return list(session.scalars(query.order_by(Capture.id)))


def _terms_with_ancestors(session: Session, used: set[int]) -> list[Term]:
    """The terms `used` names and every term above them (the vocabulary is small: read it whole)."""
    every = {t.id: t for t in session.scalars(select(Term))}
    keep: set[int] = set()
    for term_id in used:
        current: int | None = term_id
        while current is not None and current not in keep and current in every:
            keep.add(current)
            current = every[current].parent_id
    return [every[i] for i in sorted(keep)]
