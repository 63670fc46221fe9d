"""What the footage is described to show (from claims and sources), with the tags that observe each
term on the item or its copies. Functions take a Session and never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from evidence.catalogue import relations as rel_db
from evidence.catalogue import withdrawals
from evidence.catalogue.annotation_models import Annotation, Claim, Claimant, Description
from evidence.catalogue.models import Item
from evidence.catalogue.relations import CLUSTER_KINDS
from evidence.catalogue.tags import TagView, tag_views
from evidence.core.names import RelationStatus
from evidence.core.timeutil import iso
from evidence.core.vocab import SEPARATOR, Vocabulary

_CHUNK = 450  # ids per IN (…) list


def linked_copies(session: Session, item_id: int) -> dict[int, str]:
    """Items joined to this one by duplicate / excerpt-of / contains relations, directly or through
    other items, each with "confirmed" when every link on the way is confirmed, else "suggested"
    (rejected pairs join nothing). The item itself is not included."""

    def reach(statuses: tuple[str, ...]) -> set[int]:
        seen, frontier = {item_id}, [item_id]
        where = (rel_db.STATE.c.status.in_(statuses), rel_db.STATE.c.kind.in_(CLUSTER_KINDS))
        while frontier:
            found: list[int] = []
            for edge in rel_db.touching(session, frontier, *where):
                for other in (edge.a_id, edge.b_id):
                    if other not in seen:
                        seen.add(other)
                        found.append(other)
            frontier = found
        return seen - {item_id}

    confirmed = reach((RelationStatus.CONFIRMED,))
    return {
        i: RelationStatus.CONFIRMED if i in confirmed else RelationStatus.SUGGESTED
        for i in reach((RelationStatus.CONFIRMED, RelationStatus.SUGGESTED))
    }


@dataclass(frozen=True, slots=True)
class Observation:
    """A tag that observes a described term; `link` is "same" (on this item), or "confirmed" /
    "suggested" (on a copy, by the weakest relation on the way)."""

    tag: TagView
    link: str

    def to_json(self) -> dict[str, Any]:
        t = self.tag
        return {
            "tag": t.id,
            "item_id": t.item_id,
            "sha256": t.sha256,
            "link": self.link,
            "term": t.term,
            "path": list(t.path),
            "frame": t.frame,
            "t_start": t.t_start,
            "t_end": t.t_end,
            "box": None if t.box is None else t.box.to_json(),
            "fragment": t.fragment,
            "confidence": t.confidence,
            "annotator": t.annotator,
        }


@dataclass(frozen=True, slots=True)
class DescribedBy:
    """Who or what described it: a claim (with its claimant) and/or a source."""

    description_id: int
    claim_id: int | None
    claimant: str | None
    source: str | None
    note: str | None
    created_at: datetime
    created_by: str

    def to_json(self) -> dict[str, Any]:
        return {
            "description": self.description_id,
            "claim": self.claim_id,
            "claimant": self.claimant,
            "source": self.source,
            "note": self.note,
            "created_at": iso(self.created_at),
            "created_by": self.created_by,
        }


@dataclass(frozen=True, slots=True)
class Described:
    """One term described for an item, who described it, and where it has been observed."""

    term_id: int
    path: tuple[str, ...]
    by: tuple[DescribedBy, ...]
    where: tuple[Observation, ...]

    @property
    def term(self) -> str:
        return self.path[-1]

    @property
    def path_text(self) -> str:
        return SEPARATOR.join(self.path)

    @property
    def observed(self) -> bool:
        return bool(self.where)

    def to_json(self) -> dict[str, Any]:
        """`{"term", "path", "observed", "where": [...], "described_by": [...]}`."""
        return {
            "term": self.term,
            "path": list(self.path),
            "observed": self.observed,
            "where": [o.to_json() for o in self.where],
            "described_by": [b.to_json() for b in self.by],
        }


def described(session: Session, vocab: Vocabulary, item: Item) -> list[Described]:
    """Every term described for `item` (one entry per term, by path), each with the tags that observe
    it: active tags of the term or any term below it, on the item (first) or on its copies."""
    rows = [
        (d, claimant)
        for d, claimant in session.execute(
            select(Description, Claimant.name)
            .outerjoin(Claim, Claim.id == Description.claim_id)
            .outerjoin(Claimant, Claimant.id == Claim.claimant_id)
            .where(
                Description.item_id == item.id,
                withdrawals.standing("description", Description.id),
                or_(Description.claim_id.is_(None), withdrawals.standing("claim", Claim.id)),
            )
            .order_by(Description.id)
        )
    ]
    if not rows:
        return []
    by_term: dict[int, list[DescribedBy]] = {}
    for d, claimant in rows:
        by_term.setdefault(d.term_id, []).append(
            DescribedBy(d.id, d.claim_id, claimant, d.source, d.note, d.created_at, d.created_by)
        )
    below = {term_id: vocab.descendants(term_id) for term_id in by_term}
    wanted = set().union(*below.values())
    links = {item.id: "same", **linked_copies(session, item.id)}
    ids = sorted(links)
    tags: list[Annotation] = []
    for start in range(0, len(ids), _CHUNK):
        tags.extend(
            session.scalars(
                select(Annotation).where(
                    Annotation.item_id.in_(ids[start : start + _CHUNK]),
                    withdrawals.standing("tag", Annotation.id),
                )
            )
        )
    tags = [t for t in tags if t.term_id in wanted]
    order = {"same": 0, RelationStatus.CONFIRMED: 1, RelationStatus.SUGGESTED: 2}
    views = sorted(tag_views(session, vocab, tags), key=lambda t: (order[links[t.item_id]], t.item_id, t.id))
    result = [
        Described(
            term_id=term_id,
            path=tuple(vocab.path(term_id)),
            by=tuple(by),
            where=tuple(Observation(t, links[t.item_id]) for t in views if t.term_id in below[term_id]),
        )
        for term_id, by in by_term.items()
    ]
    return sorted(result, key=lambda d: ([p.casefold() for p in d.path], d.term_id))
