"""Use cases: `evidence dupes` and `evidence review` as an analyst reads them. A cluster names its items
(kind, original name, when each is first known) with the links between them (kind, suggested or
confirmed, score) and its earliest known copy; the review lists the suggestions no analyst has decided
yet, most similar first, each with what `evidence relate` needs to decide it."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.catalogue import provenance, queries
from evidence.catalogue import relations as rel_db
from evidence.catalogue.models import Acquisition, Item
from evidence.catalogue.relations import RelationState
from evidence.core.names import RelationStatus
from evidence.core.timeutil import iso
from evidence.errors import NotFound
from evidence.matching.relations import clusters
from evidence.workspace import Workspace


@dataclass(frozen=True, slots=True)
class Member:
    item: Item
    acquisitions: list[Acquisition]  # standing, in the order they were made
    name: str | None  # the original name of its first standing acquisition
    known_at: datetime | None  # as `provenance` reads it: posted-at, else captured-at
    known_text: str | None  # the same as it was given (a date stays a date)
    basis: str | None  # "posted" | "captured"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.item.id,
            "sha256": self.item.sha256,
            "kind": self.item.kind,
            "original_name": self.name,
            "first_catalogued_at": iso(self.item.first_catalogued_at),
            "known_at": self.known_text,
            "known_basis": self.basis,
        }


@dataclass(frozen=True, slots=True)
class Cluster:
    members: list[Member]  # earliest catalogued first
    links: list[RelationState]  # the live relations between two of its members
    earliest: Member | None  # the earliest known copy, by `provenance.earliest_member`'s rule


def _member(item: Item, acquisitions: list[Acquisition]) -> Member:
    name = acquisitions[0].original_name if acquisitions else None
    known = provenance.Member(item, acquisitions).known_at()
    if known is None:
        return Member(item, acquisitions, name, None, None, None)
    at, basis, acq = known
    return Member(
        item, acquisitions, name, at, provenance.known_text(at, basis, acq), basis.removesuffix("_at")
    )


def _earliest(members: list[Member]) -> Member | None:
    found = provenance.earliest_member(provenance.Member(m.item, m.acquisitions) for m in members)
    return None if found is None else next(m for m in members if m.item.id == found[0].item.id)


def cluster_views(
    ws: Workspace, *, touching: Collection[int] | None = None, window: slice | None = None
) -> list[Cluster]:
    """Every cluster of items that show the same footage (`matching.relations.clusters`), for reading;
    with `touching`, those with at least one of these items (a case's clusters); with `window`, only
    that slice of them (a page)."""
    with ws.db.read() as session:
        out = []
        groups = clusters(session, touching=touching, window=window)
        every = {item.id for items in groups for item in items}
        acquisitions = queries.acquisitions_by_item(session, every)
        live = rel_db.touching(session, every, rel_db.STATE.c.status.in_(rel_db.LIVE)) if every else []
        group_of = {item.id: n for n, items in enumerate(groups) for item in items}
        links: dict[int, list[RelationState]] = {}
        for r in live:  # in id order, as `touching` gives them
            if (n := group_of.get(r.a_id)) is not None and n == group_of.get(r.b_id):
                links.setdefault(n, []).append(r)
        for n, items in enumerate(groups):
            members = [_member(item, acquisitions[item.id]) for item in items]
            out.append(Cluster(members, links.get(n, []), _earliest(members)))
        return out


def cluster_page(
    ws: Workspace, *, touching: Collection[int] | None = None, start: int = 0, size: int | None = None
) -> tuple[list[Cluster], bool]:
    """At most `size` of `cluster_views`' clusters from the `start`th (None: all the rest), and
    whether more follow (one more cluster is read to tell; none is counted)."""
    window = slice(start, None if size is None else start + size + 1)
    found = cluster_views(ws, touching=touching, window=window)
    return found[:size], size is not None and len(found) > size


@dataclass(frozen=True, slots=True)
class Suggestion:
    relation: RelationState
    a: Member
    b: Member


def suggestions(ws: Workspace, *, limit: int | None = None) -> list[Suggestion]:
    """The relations the matcher suggested that no analyst has confirmed or rejected, most similar
    first (then the oldest suggestion first)."""
    with ws.db.read() as session:
        pending = rel_db.states(session, rel_db.STATE.c.status == RelationStatus.SUGGESTED)
        pending.sort(key=lambda r: (-(r.score or 0.0), r.created_at, r.id))
        if limit is not None:
            pending = pending[:limit]
        members = _members(session, {i for r in pending for i in (r.a_id, r.b_id)})
        return [Suggestion(r, members[r.a_id], members[r.b_id]) for r in pending]


def suggestion(ws: Workspace, relation_id: int) -> Suggestion:
    """One relation (suggested, confirmed or rejected) with both its items, as the review shows it."""
    with ws.db.read() as session:
        try:
            relation = rel_db.state_of(session, relation_id)
        except LookupError:
            raise NotFound(f"no relation {relation_id}: see `evidence review`") from None
        members = _members(session, {relation.a_id, relation.b_id})
        return Suggestion(relation, members[relation.a_id], members[relation.b_id])


def _members(session: Session, ids: set[int]) -> dict[int, Member]:
    items = {i.id: i for i in session.scalars(select(Item).where(Item.id.in_(ids)))} if ids else {}
    acquisitions = queries.acquisitions_by_item(session, set(items))
    return {i: _member(item, acquisitions[i]) for i, item in items.items()}
