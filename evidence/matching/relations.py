"""Relations between items: the matcher's suggestions and the analysts' decisions. Callers own the
transaction; every change appends a custody event with the digests of the rows it wrote."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.catalogue import custody
from evidence.catalogue import relations as rel_db
from evidence.catalogue.among import among
from evidence.catalogue.models import Item, Relation, RelationDecision
from evidence.catalogue.relations import RelationState, oriented
from evidence.catalogue.reuse import PerHead
from evidence.core.clustering import DisjointSets, copy_groups
from evidence.core.custody import CustodyAction
from evidence.core.matching import MATCHER_VERSION, ItemMatch
from evidence.core.names import RelationKind, RelationStatus
from evidence.errors import UsageError


def match_evidence(match: ItemMatch) -> dict[str, Any]:
    return {
        "query_share": match.query_share,
        "target_share": match.target_share,
        "offsets": list(match.offsets),
        "segments": [
            {
                "query_start": s.query_start,
                "query_end": s.query_end,
                "target_start": s.target_start,
                "target_end": s.target_end,
                "offset_range": None if s.offset_range is None else list(s.offset_range),
            }
            for s in match.segments
        ],
        "closest": [{"query_t": q, "target_t": t, "distance": d} for q, t, d in match.closest],
        "matched_frames": match.matched_frames,
        "via": list(match.via),
        "similar": [{"query_t": q, "target_t": t, "similarity": v} for q, t, v in match.similar],
    }


def suggest(session: Session, item: Item, matches: list[ItemMatch], *, actor: str) -> list[ItemMatch]:
    """Store the matcher's findings for `item` as suggested relations; skip pairs an analyst rejected
    or already confirmed. Returns the matches that are (now) suggested."""
    kept = []
    for match in matches:
        a_id, b_id, kind = oriented(item.id, match.item_id, match.classification)
        existing = session.scalars(
            select(Relation).where(Relation.a_id == a_id, Relation.b_id == b_id)
        ).first()
        if existing is not None:
            status = rel_db.state_of(session, existing.id).status
            if status != RelationStatus.SUGGESTED:
                if status == RelationStatus.CONFIRMED:
                    kept.append(match)
                continue
        evidence = {**match_evidence(match), "query_item": item.id}  # the side `query_t` times are of
        if existing is None:
            existing = Relation(
                a_id=a_id,
                b_id=b_id,
                kind=kind,
                score=match.score,
                matcher=MATCHER_VERSION,
                evidence=evidence,
                created_at=datetime.now(UTC),
            )
            session.add(existing)
        else:
            existing.kind, existing.score, existing.evidence = kind, match.score, evidence
            existing.matcher = MATCHER_VERSION
        session.flush()
        other = session.get_one(Item, match.item_id)
        custody.append(
            session,
            actor=actor,
            action=CustodyAction.SUGGEST_RELATION,
            subject=f"item:{item.sha256}",
            details={
                "other": other.sha256,
                "kind": match.classification,
                "score": match.score,
                "matcher": MATCHER_VERSION,
                "offsets": list(match.offsets),
            },
            records=[("relation", existing.id)],
        )
        kept.append(match)
    return kept


@dataclass(frozen=True, slots=True)
class Decision:
    relation: RelationState
    a: Item
    b: Item


def decide(
    session: Session, a: Item, b: Item, *, confirm: bool, kind: str | None, note: str | None, actor: str
) -> Decision:
    """An analyst confirms (optionally re-typing) or rejects the link between two items: a new decision
    row (the relation's earlier decisions stay), logged."""
    if a.id == b.id:
        raise UsageError("an item cannot be related to itself")
    if kind is not None and kind not in tuple(RelationKind):
        raise UsageError(f"--as must be one of {', '.join(RelationKind)}")
    a_id, b_id, stored_kind = oriented(a.id, b.id, kind or RelationKind.DUPLICATE)
    relation = session.scalars(select(Relation).where(Relation.a_id == a_id, Relation.b_id == b_id)).first()
    now = datetime.now(UTC)
    records: list[tuple[str, int]] = []
    if relation is None:
        if confirm and kind is None:
            raise UsageError("nothing was suggested for these two items: say what they are with --as KIND")
        relation = Relation(a_id=a_id, b_id=b_id, kind=stored_kind, created_at=now)
        session.add(relation)
        session.flush()
        records.append(("relation", relation.id))
    current = rel_db.state_of(session, relation.id)
    row = RelationDecision(
        relation_id=relation.id,
        status=RelationStatus.CONFIRMED if confirm else RelationStatus.REJECTED,
        kind=stored_kind if kind is not None else current.kind,
        note=note,
        decided_at=now,
        decided_by=actor,
    )
    session.add(row)
    session.flush()
    records.append(("decision", row.id))
    low, high = (a, b) if a.id < b.id else (b, a)
    custody.append(
        session,
        actor=actor,
        action=CustodyAction.CONFIRM_RELATION if confirm else CustodyAction.REJECT_RELATION,
        subject=f"item:{low.sha256}",
        details={"other": high.sha256, "kind": row.kind, "note": note},
        records=records,
    )
    return Decision(rel_db.state_of(session, relation.id), low, high)


def _ordered_groups(session: Session) -> list[list[int]]:
    """Every cluster's item ids, each earliest-catalogued first, the clusters in the order of their
    first items."""
    groups = copy_groups(rel_db.copy_links(session), rel_db.alike_pairs(session))
    ids = [i for members in groups for i in members]
    rank: dict[int, int] = {}
    if ids:  # the database sorts them: their places are all that is needed, not their times
        query = select(Item.id).where(among(Item.id, ids)).order_by(Item.first_catalogued_at, Item.id)
        rank = {item_id: n for n, item_id in enumerate(session.scalars(query))}
    ordered = [sorted(members, key=rank.__getitem__) for members in groups]
    ordered.sort(key=lambda members: rank[members[0]])
    return ordered


_SHARED_GROUPS = PerHead(_ordered_groups)
"""In a long-running reader, the grouping kept while nothing changes (`catalogue.reuse`)."""


def clusters(
    session: Session, *, touching: Collection[int] | None = None, window: slice | None = None
) -> list[list[Item]]:
    """Items that show the same footage (`core.clustering`: joined by duplicate / excerpt-of / contains
    relations, suggested or confirmed; a rejected pair is no edge, `partial` alone joins nothing, and a
    small part of an item does not bring that item into the part's cluster), each cluster
    earliest-catalogued first, the clusters in the order of their first items; with `touching`, those
    with one of these items; with `window`, that slice of them (only its items are loaded)."""
    ordered = _SHARED_GROUPS.get(session)
    if touching is not None:
        ordered = [g for g in ordered if any(i in touching for i in g)]
    chosen = ordered[window] if window is not None else ordered
    wanted = [i for members in chosen for i in members]
    items = {it.id: it for it in session.scalars(select(Item).where(among(Item.id, wanted)))}
    return [[items[i] for i in members] for members in chosen]


def groups_among(session: Session, item_ids: set[int]) -> dict[int, int]:
    """For these items, a group id shared by those that are (suggested or confirmed) copies of each
    other, directly or through other items of the set."""
    if not item_ids:
        return {}
    sets = DisjointSets()
    for a_id, b_id in rel_db.live_links(session, item_ids):
        if a_id in item_ids and b_id in item_ids:
            sets.join(a_id, b_id)
    return {i: sets.find(i) for i in item_ids}
