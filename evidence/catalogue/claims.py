"""Claims as callers see them: claimant, statement, when it was said, the event it asserts (date and
place) or the claim it disputes, the items they are about. Functions take a Session and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.catalogue import withdrawals
from evidence.catalogue.annotation_models import Claim, Claimant, ClaimItem, Description, Place
from evidence.catalogue.descriptions import Described as Described
from evidence.catalogue.descriptions import described as described
from evidence.catalogue.models import Item
from evidence.core.timeutil import as_given, iso
from evidence.core.vocab import Vocabulary


def date_text(at: datetime | None, precision: str | None) -> str | None:
    """A date as precise as it was given: `2016`, `2016-03`, `2016-03-24` or ISO-8601 UTC."""
    return as_given(iso(at), precision)


@dataclass(frozen=True, slots=True)
class PlaceView:
    id: int
    name: str
    latitude: float | None
    longitude: float | None
    precision: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "precision": self.precision,
        }


@dataclass(frozen=True, slots=True)
class WithdrawnView:
    at: datetime
    by: str
    note: str | None


@dataclass(frozen=True, slots=True)
class ClaimView:
    id: int
    claimant: str
    statement: str
    claimed_date: datetime | None  # when the event it asserts happened
    date_precision: str | None
    said_on: datetime | None  # when the statement was made
    said_on_precision: str | None
    place: PlaceView | None  # where the event it asserts happened
    url: str | None
    language: str | None
    counters: int | None  # the claim this one disputes (a counter-claim asserts no event)
    countered_by: tuple[int, ...]  # claims that answer this one
    items: tuple[tuple[int, str], ...]  # (id, sha256) of the items it is about
    shows: tuple[tuple[str, ...], ...]  # term paths it says the footage shows
    created_at: datetime
    created_by: str
    withdrawn: WithdrawnView | None = None  # taken back: it counts for nothing, and is kept as it was

    @property
    def date(self) -> str | None:
        return date_text(self.claimed_date, self.date_precision)

    @property
    def said(self) -> str | None:
        return date_text(self.said_on, self.said_on_precision)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "claimant": self.claimant,
            "text": self.statement,
            "date": self.date,
            "date_precision": self.date_precision,
            "said_on": self.said,
            "said_on_precision": self.said_on_precision,
            "place": None if self.place is None else self.place.to_json(),
            "url": self.url,
            "language": self.language,
            "counters": self.counters,
            "countered_by": list(self.countered_by),
            "items": [{"id": i, "sha256": s} for i, s in self.items],
            "shows": [{"term": p[-1], "path": list(p)} for p in self.shows],
            "created_at": iso(self.created_at),
            "created_by": self.created_by,
            "withdrawn": self.withdrawn is not None,
            "withdrawn_at": None if self.withdrawn is None else iso(self.withdrawn.at),
            "withdrawn_by": None if self.withdrawn is None else self.withdrawn.by,
            "withdrawn_note": None if self.withdrawn is None else self.withdrawn.note,
        }


def claim_views(session: Session, vocab: Vocabulary, claims: Sequence[Claim]) -> list[ClaimView]:
    ids = [c.id for c in claims]
    if not ids:
        return []
    claimant_ids = {c.claimant_id for c in claims}
    names = {
        i: name
        for i, name in session.execute(
            select(Claimant.id, Claimant.name).where(Claimant.id.in_(claimant_ids))
        )
    }
    place_ids = {c.place_id for c in claims if c.place_id is not None}
    places = {
        p.id: PlaceView(p.id, p.name, p.latitude, p.longitude, p.precision)
        for p in session.scalars(select(Place).where(Place.id.in_(place_ids)))
    }
    items: dict[int, list[tuple[int, str]]] = {i: [] for i in ids}
    for claim_id, item_id, sha256 in session.execute(
        select(ClaimItem.claim_id, Item.id, Item.sha256)
        .join(Item, Item.id == ClaimItem.item_id)
        .where(ClaimItem.claim_id.in_(ids))
        .order_by(Item.id)
    ):
        items[claim_id].append((item_id, sha256))
    answers: dict[int, list[int]] = {i: [] for i in ids}
    for answer_id, counters_id in session.execute(
        select(Claim.id, Claim.counters_id)
        .where(Claim.counters_id.in_(ids), withdrawals.standing("claim", Claim.id))
        .order_by(Claim.id)
    ):
        if counters_id is not None:
            answers[counters_id].append(answer_id)
    shows: dict[int, list[tuple[str, ...]]] = {i: [] for i in ids}
    for shown_by, term_id in session.execute(
        select(Description.claim_id, Description.term_id)
        .where(Description.claim_id.in_(ids), withdrawals.standing("description", Description.id))
        .order_by(Description.id)
    ):
        path = tuple(vocab.path(term_id))
        if shown_by is not None and path not in shows[shown_by]:
            shows[shown_by].append(path)
    taken = {
        i: WithdrawnView(w.withdrawn_at, w.withdrawn_by, w.note)
        for i, w in withdrawals.of(session, "claim", ids).items()
    }
    return [
        ClaimView(
            id=c.id,
            claimant=names[c.claimant_id],
            statement=c.statement,
            claimed_date=c.claimed_date,
            date_precision=c.claimed_date_precision,
            said_on=c.said_on,
            said_on_precision=c.said_on_precision,
            place=None if c.place_id is None else places[c.place_id],
            url=c.url,
            language=c.language,
            counters=c.counters_id,
            countered_by=tuple(answers[c.id]),
            items=tuple(items[c.id]),
            shows=tuple(shows[c.id]),
            created_at=c.created_at,
            created_by=c.created_by,
            withdrawn=taken.get(c.id),
        )
        for c in claims
    ]


def claims_of(
    session: Session, vocab: Vocabulary, item_id: int, *, include_withdrawn: bool = False
) -> list[ClaimView]:
    """The claims about an item, oldest first (withdrawn ones only when asked for)."""
    query = (
        select(Claim)
        .join(ClaimItem, ClaimItem.claim_id == Claim.id)
        .where(ClaimItem.item_id == item_id)
        .order_by(Claim.id)
    )
    if not include_withdrawn:
        query = query.where(withdrawals.standing("claim", Claim.id))
    return claim_views(session, vocab, list(session.scalars(query)))


def items_of(session: Session, claim_id: int) -> list[int]:
    """The ids of the items a claim is about."""
    return sorted(session.scalars(select(ClaimItem.item_id).where(ClaimItem.claim_id == claim_id)))
