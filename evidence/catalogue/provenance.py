"""Where an item comes from (`evidence provenance`, `evidence report`), gathered in one read.

The item's copies are the items that show the same footage as it, by the rule of `evidence dupes`
(`core.clustering`: suggested or confirmed relations of kind duplicate, excerpt-of or contains,
directly or through other copies, a small part of an item not bringing that item in); a `partial`
neighbour (a compilation that shares a run, or holds it as a small part) is listed but is not a copy.
The earliest known copy is the one with the earliest posted-at, else captured-at, over all their
acquisitions. A warning is raised for every copy known before the date a claim says the event
happened. Claims, tags and described contents cover every copy; the custody events are those of the
copies; the chain is checked for them (`catalogue.chaincheck`: walked since the last clean `verify`,
their own events checked in place) and the copies' objects re-hashed (by the `fixity` function the
caller passes). Nothing is written."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.catalogue import credentials, custody, queries, withdrawals
from evidence.catalogue import relations as rel_db
from evidence.catalogue import vocab as vocab_db
from evidence.catalogue.among import among
from evidence.catalogue.annotation_models import Annotation, Claim, ClaimItem
from evidence.catalogue.captures import media_captures
from evidence.catalogue.chaincheck import check_chain
from evidence.catalogue.claims import claim_views
from evidence.catalogue.descriptions import described
from evidence.catalogue.known import items_known
from evidence.catalogue.models import Acquisition, Event, Item
from evidence.catalogue.relations import LIVE, RelationState, kind_from
from evidence.catalogue.tags import tag_views
from evidence.catalogue.views import acquisition_dict, event_dict, item_dict
from evidence.core.clustering import CopyLink, copy_groups
from evidence.core.names import RelationKind
from evidence.core.timeutil import as_given, iso
from evidence.core.vocab import Vocabulary
from evidence.store.base import ObjectStore


@dataclass(frozen=True, slots=True)
class Member:
    item: Item
    acquisitions: list[Acquisition]
    partial: bool = False  # a neighbour, not a copy: `partial`, or a small part of it or it of them

    def known_at(self) -> tuple[datetime, str, Acquisition] | None:
        """The earliest moment this copy is known to have existed: posted-at, else captured-at."""
        dated = [
            (a.posted_at or a.captured_at, "posted_at" if a.posted_at else "captured_at", a)
            for a in self.acquisitions
        ]
        return min(dated, key=lambda d: (d[0], d[2].id)) if dated else None


def known_text(at: datetime, basis: str, acq: Acquisition) -> str | None:
    """When a copy is known, as it was given: a posted-at date stays a date."""
    return as_given(iso(at), acq.posted_at_precision if basis == "posted_at" else None)


def earliest_member(members: Iterable[Member]) -> tuple[Member, datetime, str, Acquisition] | None:
    """The copy known earliest: among those known by when they were posted when there are any (a copy
    known by its posting beats one known only by when we caught it), else by when they were captured."""
    dated = [(m, k) for m in members if (k := m.known_at()) is not None]
    if not dated:
        return None
    posted = [(m, k) for m, k in dated if k[1] == "posted_at"]
    member, (at, basis, acq) = min(posted or dated, key=lambda mk: (mk[1][0], mk[0].item.id))
    return member, at, basis, acq


@dataclass
class Provenance:
    subject: Item
    members: list[Member]
    links: list[RelationState]
    claims: list[dict[str, Any]]
    events: list[Event]
    chain_ok: bool
    chain_head: str | None
    events_checked: int
    problems: list[str] = field(default_factory=list)
    tags: list[dict[str, Any]] = field(default_factory=list)
    described: list[dict[str, Any]] = field(default_factory=list)
    # the captures of links the copies came from, once each, with the copies each gave
    captures: list[dict[str, Any]] = field(default_factory=list)
    checked: bool = True  # the chain checked and the copies re-hashed (`chain_ok` and `problems` say so)
    chain_check: dict[str, Any] = field(default_factory=dict)  # what of the chain was checked (`ChainCheck`)
    # entries of partners' hash lists that the copies' frames match (`catalogue.known`)
    known: list[dict[str, Any]] = field(default_factory=list)
    # each copy's content credentials (C2PA), the subject first (`catalogue.credentials`)
    credentials: list[dict[str, Any]] = field(default_factory=list)

    def earliest(self) -> dict[str, Any] | None:
        found = earliest_member(m for m in self.members if not m.partial)
        if found is None:
            return None
        member, at, basis, acq = found
        return {
            "id": member.item.id,
            "sha256": member.item.sha256,
            "basis": basis,
            "at": iso(at),
            "at_text": known_text(at, basis, acq),
            "acquisition_id": acq.id,
            "source_url": acq.source_url,
            "original_name": acq.original_name,
            "is_subject": member.item.id == self.subject.id,
        }

    def warnings(self) -> list[dict[str, Any]]:
        out = []
        for claim in self.claims:
            start = claim["_claimed_start"]
            if start is None or claim["counters"] is not None:  # only an asserted event has a date
                continue
            for member in self.members:
                known = member.known_at()
                if known is None or known[0] >= start:
                    continue
                at, basis, acq = known
                what = "posted" if basis == "posted_at" else "catalogued by us"
                when = known_text(at, basis, acq)
                out.append(
                    {
                        "kind": "predates-claim",
                        "item": {"id": member.item.id, "sha256": member.item.sha256},
                        "at": iso(at),
                        "basis": basis,
                        "claim_id": claim["id"],
                        "claimed_date": claim["claimed_date"],
                        "message": (
                            f"copy #{member.item.id} ({member.item.sha256[:12]}) was {what} {when}, "
                            f"before {claim['claimed_date_text']}, when claim #{claim['id']} by "
                            f"{claim['claimant']} says the event happened"
                        ),
                    }
                )
        return out

    def to_json(self) -> dict[str, Any]:
        subject = self.subject
        links = []
        for rel in self.links:
            evidence = rel.evidence or {}
            links.append(
                {
                    "a": {"id": rel.a_id},
                    "b": {"id": rel.b_id},
                    "kind": rel.kind,
                    "status": rel.status,
                    "score": rel.score,
                    "offsets": evidence.get("offsets", []),
                    "matcher": rel.matcher,
                    "decided_by": rel.decided_by,
                    "note": rel.note,
                }
            )
        copies = []
        for member in self.members:
            if member.item.id == subject.id:
                continue
            relation = next((r for r in self.links if {r.a_id, r.b_id} == {subject.id, member.item.id}), None)
            copies.append(
                {
                    **item_dict(member.item),
                    "partial": member.partial,
                    "relation": None
                    if relation is None
                    else {
                        "kind": kind_from(relation, member.item.id),
                        "status": relation.status,
                        "score": relation.score,
                        "offsets": (relation.evidence or {}).get("offsets", []),
                    },
                    "acquisitions": [acquisition_dict(a) for a in member.acquisitions],
                }
            )
        own = next(m for m in self.members if m.item.id == subject.id)
        return {
            "item": {**item_dict(subject), "probe": subject.probe},
            "acquisitions": [acquisition_dict(a) for a in own.acquisitions],
            "copies": copies,
            "links": links,
            "earliest": self.earliest(),
            "warnings": self.warnings(),
            "claims": [{k: v for k, v in c.items() if not k.startswith("_")} for c in self.claims],
            "described": self.described,
            "tags": self.tags,
            "captures": self.captures,
            "known": self.known,
            "content_credentials": self.credentials,
            "events": [event_dict(e) for e in self.events],
            "chain": {
                "ok": self.chain_ok and not self.problems,
                "head": self.chain_head,
                "events_checked": self.events_checked,
                "problems": self.problems,
                **self.chain_check,
            },
        }


# re-hashes a preserved original: None when it is intact, else what is wrong
FixityFn = Callable[[str], str | None]


def provenance(
    session: Session,
    ref: str,
    fixity: FixityFn | None,
    store: ObjectStore | None = None,
    vocab: Vocabulary | None = None,
) -> Provenance:
    """What is known of where an item comes from. With `fixity`, the custody chain is checked for the
    copies (`catalogue.chaincheck`) and every copy's original re-hashed (`problems`, `chain_ok`);
    without, neither is checked (`checked` False)."""
    subject = queries.resolve_ref(session, ref)
    copy_ids, partial_ids = cluster_of(session, subject.id)
    ids = [subject.id, *sorted(copy_ids - {subject.id}), *sorted(partial_ids)]
    items = {i.id: i for i in session.scalars(select(Item).where(among(Item.id, ids)))}
    acquisitions = queries.acquisitions_by_item(session, ids)
    members = [Member(items[i], acquisitions[i], partial=i in partial_ids) for i in ids]
    state = rel_db.STATE.c
    links = rel_db.states(session, among(state.a_id, ids), among(state.b_id, ids), state.status.in_(LIVE))
    vocab = vocab if vocab is not None else vocab_db.load(session)
    claims = claims_about(session, vocab, ids)
    events = custody.events_for(session, [f"item:{items[i].sha256}" for i in ids])
    head = custody.head(session)
    problems: list[str] = []
    events_checked, chain_check = (head.seq if head else 0), {}
    if fixity is not None:
        chain = check_chain(session, events, head)
        problems = [f"chain {p.kind} at event {p.seq}: {p.message}" for p in chain.problems]
        problems += [problem for member in members if (problem := fixity(member.item.sha256))]
        events_checked, chain_check = chain.events_checked, chain.to_json()
    tags, described = _annotations(session, vocab, subject, ids)
    return Provenance(
        subject=subject,
        members=members,
        links=links,
        claims=claims,
        events=events,
        chain_ok=not problems,
        chain_head=head.hash if head else None,
        events_checked=events_checked,
        problems=problems,
        tags=tags,
        described=described,
        captures=_captures(session, ids, store),
        checked=fixity is not None,
        chain_check=chain_check,
        known=[] if store is None else _known(session, store, members),
        credentials=_credentials(session, members),
    )


def _credentials(session: Session, members: list[Member]) -> list[dict[str, Any]]:
    """Each copy's newest reading of its content credentials, the subject first."""
    found = credentials.latest(session, [m.item.id for m in members])
    return [
        {"item": {"id": m.item.id, "sha256": m.item.sha256}, **credentials.as_json(found[m.item.id])}
        for m in members
        if m.item.id in found
    ]


def _known(session: Session, store: ObjectStore, members: list[Member]) -> list[dict[str, Any]]:
    """The list entries each copy matches, the subject first."""
    found = items_known(session, store, [m.item.id for m in members])
    return [
        {"item": {"id": m.item.id, "sha256": m.item.sha256}, **hit.to_json()}
        for m in members
        for hit in found.get(m.item.id, [])
    ]


def _captures(session: Session, ids: list[int], store: ObjectStore | None) -> list[dict[str, Any]]:
    """Each capture any of these items came from (as its media), once, naming the items it gave."""
    return [view.to_json() | {"items": gave} for view, gave in media_captures(session, ids, store)]


def cluster_of(session: Session, item_id: int) -> tuple[set[int], set[int]]:
    """The item's copies (itself included): its group (`core.clustering`) among the items joined to it
    by copy links, directly or through others; and its direct neighbours that are not copies (a
    `partial` relation, or an item that holds it only as a small part, or that it so holds)."""
    seen = {item_id}
    frontier = {item_id}
    links: dict[tuple[int, int], CopyLink] = {}
    while frontier:  # breadth first, one query a step away from the item
        reached: set[int] = set()
        for link in rel_db.copy_links(session, frontier):
            links[(link.a, link.b)] = link
            reached |= {link.a, link.b}
        frontier = reached - seen
        seen |= frontier
    alike = rel_db.alike_pairs(session, seen)
    copies = next((g for g in copy_groups(links.values(), alike) if item_id in g), {item_id})
    state = rel_db.STATE.c
    partial_rows = rel_db.touching(
        session, [item_id], state.status.in_(LIVE), state.kind == RelationKind.PARTIAL
    )
    near = {r.b_id if r.a_id == item_id else r.a_id for r in partial_rows}
    near |= {
        link.b if link.a == item_id else link.a for link in links.values() if item_id in (link.a, link.b)
    }
    return copies, near - copies


def claims_about(session: Session, vocab: Vocabulary, item_ids: list[int]) -> list[dict[str, Any]]:
    """Claims about any of these items that stand (not withdrawn), oldest first, with claimant, when
    said, the event's date and place (or the claim disputed) and the items each is about;
    `_claimed_start` (not printed) is the event date as a datetime for comparisons."""
    about = select(ClaimItem.claim_id).where(ClaimItem.item_id.in_(item_ids))
    standing = withdrawals.standing("claim", Claim.id)
    rows = list(session.scalars(select(Claim).where(Claim.id.in_(about), standing).order_by(Claim.id)))
    claimant_of = {c.id: c.claimant_id for c in rows}
    return [
        {
            "id": view.id,
            "claimant": view.claimant,
            "claimant_id": claimant_of[view.id],
            "statement": view.statement,
            "claimed_date": iso(view.claimed_date),
            "claimed_date_precision": view.date_precision,
            "claimed_date_text": view.date,
            "said_on": iso(view.said_on),
            "said_on_precision": view.said_on_precision,
            "said_on_text": view.said,
            "place": None if view.place is None else view.place.to_json(),
            "url": view.url,
            "language": view.language,
            "counters": view.counters,
            "countered_by": list(view.countered_by),
            "items": [item_id for item_id, _ in view.items],
            "created_at": iso(view.created_at),
            "created_by": view.created_by,
            "_claimed_start": view.claimed_date,
        }
        for view in claim_views(session, vocab, rows)
    ]


def _annotations(
    session: Session, vocab: Vocabulary, subject: Item, ids: list[int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The tags on every copy, and what claims and sources say the footage shows against them."""
    rows = session.scalars(select(Annotation).where(Annotation.item_id.in_(ids)).order_by(Annotation.id))
    tags = [t.to_json() for t in tag_views(session, vocab, list(rows))]
    shows = [d.to_json() for d in described(session, vocab, subject)]
    return tags, shows
