"""Relations as they stand: the matcher's suggestion (the `relation` row) and the analysts' decisions
(`relation_decision` rows, never changed; the newest one decides). Functions take a Session and never
commit."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Subquery, case, func, literal, null, or_, select
from sqlalchemy.orm import Session, aliased

from evidence.catalogue.among import among
from evidence.catalogue.models import Item, Relation, RelationDecision
from evidence.core.clustering import CopyLink, copy_link, shares_most
from evidence.core.names import RelationKind, RelationStatus

LIVE = (RelationStatus.SUGGESTED, RelationStatus.CONFIRMED)  # a rejected pair is no link
CLUSTER_KINDS = frozenset({RelationKind.DUPLICATE, RelationKind.EXCERPT_OF, RelationKind.CONTAINS})
PARTED_KINDS = frozenset({RelationKind.EXCERPT_OF, RelationKind.CONTAINS, RelationKind.PARTIAL})
"""The kinds whose evidence (the two sides' shares) `core.clustering` reads."""


@dataclass(frozen=True, slots=True)
class RelationState:
    """A relation with the newest decision applied: `kind` and `status` are what stands now."""

    id: int
    a_id: int
    b_id: int
    kind: str
    status: str  # suggested | confirmed | rejected
    score: float | None
    matcher: str | None
    evidence: dict[str, Any] | None
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    note: str | None


def _state() -> Subquery:
    newest = (
        select(RelationDecision.relation_id, func.max(RelationDecision.id).label("decision_id"))
        .group_by(RelationDecision.relation_id)
        .subquery("newest_decision")
    )
    decision = aliased(RelationDecision, name="decision")
    return (
        select(
            Relation.id,
            Relation.a_id,
            Relation.b_id,
            func.coalesce(decision.kind, Relation.kind).label("kind"),
            func.coalesce(decision.status, literal(RelationStatus.SUGGESTED.value)).label("status"),
            Relation.score,
            Relation.matcher,
            Relation.evidence,
            Relation.created_at,
            decision.decided_at,
            decision.decided_by,
            decision.note,
        )
        .outerjoin(newest, newest.c.relation_id == Relation.id)
        .outerjoin(decision, decision.id == newest.c.decision_id)
        .subquery("relation_state")
    )


STATE = _state()
"""The relations as they stand, as a selectable: id, a_id, b_id, kind, status, score, matcher, evidence,
created_at, decided_at, decided_by, note."""


def states(session: Session, *where: ColumnElement[bool]) -> list[RelationState]:
    """The relations matching `where` (conditions on `STATE.c`), in id order."""
    rows = session.execute(select(STATE).where(*where).order_by(STATE.c.id)).mappings()
    return [RelationState(**row) for row in rows]


def state_of(session: Session, relation_id: int) -> RelationState:
    found = states(session, STATE.c.id == relation_id)
    if not found:
        raise LookupError(f"no relation {relation_id}")
    return found[0]


def pair(session: Session, a_id: int, b_id: int) -> RelationState | None:
    """The relation between two items (stored with the lower id first), if any."""
    low, high = min(a_id, b_id), max(a_id, b_id)
    found = states(session, STATE.c.a_id == low, STATE.c.b_id == high)
    return found[0] if found else None


def touching(session: Session, item_ids: Collection[int], *where: ColumnElement[bool]) -> list[RelationState]:
    """Relations with either end among these items."""
    if not item_ids:
        return []
    return states(session, or_(among(STATE.c.a_id, item_ids), among(STATE.c.b_id, item_ids)), *where)


def live_links(session: Session, item_ids: Collection[int] | None = None) -> list[tuple[int, int]]:
    """The (a, b) pairs joined as copies: duplicate / excerpt-of / contains, suggested or confirmed;
    all of them, or those touching these items."""
    where = (STATE.c.status.in_(LIVE), STATE.c.kind.in_(CLUSTER_KINDS))
    if item_ids is None:
        return [(a, b) for a, b in session.execute(select(STATE.c.a_id, STATE.c.b_id).where(*where))]
    return [(r.a_id, r.b_id) for r in touching(session, item_ids, *where)]


def copy_links(session: Session, item_ids: Collection[int] | None = None) -> list[CopyLink]:
    """The live copy links with which side of each is only a small part of the other
    (`core.clustering`); all of them, or those touching these items."""
    rows = _with_evidence(session, item_ids, STATE.c.kind.in_(CLUSTER_KINDS))
    if item_ids is not None:
        return [copy_link(r.a_id, r.b_id, r.kind, r.evidence) for r in rows]
    # thousands of rows: read as plain tuples, and a duplicate (most of them) needs no evidence read
    return [
        CopyLink(a, b) if kind == RelationKind.DUPLICATE else copy_link(a, b, kind, evidence)
        for a, b, kind, evidence in rows
    ]


def alike_pairs(session: Session, item_ids: Collection[int] | None = None) -> list[tuple[int, int]]:
    """The live `partial` relations whose shared footage is most of both sides (`core.clustering`:
    no copies, but they say which group a held part brings its holder into); all, or those touching
    these items."""
    rows = _with_evidence(session, item_ids, STATE.c.kind == RelationKind.PARTIAL)
    return [(r.a_id, r.b_id) for r in rows if shares_most(r.evidence)]


def _with_evidence(
    session: Session, item_ids: Collection[int] | None, kind: ColumnElement[bool]
) -> list[Any]:
    """The live relations of these kinds (a_id, b_id, kind, evidence): all, or those touching these
    items."""
    where = (STATE.c.status.in_(LIVE), kind)
    if item_ids is None:
        # a duplicate's evidence says nothing about which side is a part: not read, nor parsed
        parted = STATE.c.kind.in_(PARTED_KINDS)
        evidence = case((parted, STATE.c.evidence), else_=null()).label("evidence")
        query = select(STATE.c.a_id, STATE.c.b_id, STATE.c.kind, evidence).where(*where)
        return list(session.execute(query))
    return list(touching(session, item_ids, *where))


_INVERSE: dict[str, str] = {
    RelationKind.EXCERPT_OF: RelationKind.CONTAINS,
    RelationKind.CONTAINS: RelationKind.EXCERPT_OF,
}


def inverse(kind: str) -> str:
    return _INVERSE.get(kind, kind)


def oriented(a_id: int, b_id: int, kind: str) -> tuple[int, int, str]:
    """The pair as stored (lower id first) with the kind read from the lower id to the higher."""
    return (a_id, b_id, kind) if a_id < b_id else (b_id, a_id, inverse(kind))


def relations_of(session: Session, item_id: int) -> list[tuple[RelationState, Item]]:
    """Every relation of an item with the other item, confirmed first, then suggested, then rejected."""
    rows = touching(session, [item_id])
    order: dict[str, int] = {
        RelationStatus.CONFIRMED: 0,
        RelationStatus.SUGGESTED: 1,
        RelationStatus.REJECTED: 2,
    }
    out = []
    for rel in sorted(rows, key=lambda r: (order.get(r.status, 3), -(r.score or 0), r.id)):
        other_id = rel.b_id if rel.a_id == item_id else rel.a_id
        out.append((rel, session.get_one(Item, other_id)))
    return out


def kind_from(rel: RelationState, item_id: int) -> str:
    """The relation's kind read from `item_id`'s side."""
    return rel.kind if rel.a_id == item_id else inverse(rel.kind)
