"""Use case: `evidence terms merge FREE TERM` — a free term made by a slip (`tag 3 helmt`) is folded into
the term it meant. Nothing is rewritten: each standing tag and description of the free term is withdrawn
("merged into …") and made again, the same in every other respect, on the right term; the free term is
withdrawn too, so that it is no longer found, listed or offered (old records still name it by its path),
and its label becomes an alias of the right term, so the same slip finds it next time. One transaction;
a custody event on each item whose records moved and one on the free term."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.catalogue import custody, queries, withdrawals
from evidence.catalogue import vocab as catalogue_vocab
from evidence.catalogue.annotation_models import Annotation, Description, TermAlias
from evidence.catalogue.models import Item
from evidence.core.custody import CustodyAction
from evidence.core.text import printable, required_text, user_text
from evidence.core.vocab import Vocabulary, normalise
from evidence.errors import UsageError
from evidence.workspace import Workspace


@dataclass(frozen=True, slots=True)
class MergeResult:
    free: tuple[str, ...]  # the merged free term's path
    into: tuple[str, ...]  # the term it was merged into
    tags: tuple[tuple[int, int], ...]  # (withdrawn tag, the tag made in its place)
    descriptions: tuple[tuple[int, int], ...]  # (withdrawn description, the one made in its place)
    alias_added: bool  # the free term's label is now an alias of the term


@dataclass
class _Moved:
    """What was written for one item."""

    records: list[tuple[str, int]] = field(default_factory=list)
    tags: list[list[int]] = field(default_factory=list)
    descriptions: list[list[int]] = field(default_factory=list)


def _check(vocab: Vocabulary, free_id: int, into_id: int) -> None:
    free = vocab.terms[free_id]
    if not free.free:
        raise UsageError(
            f"{printable(vocab.path_text(free_id))!r} is in the curated vocabulary: only a free term (made "
            "by tagging with an unknown label) can be merged; move or alias curated terms instead"
        )
    if into_id in vocab.descendants(free_id):
        raise UsageError("a term cannot be merged into itself or a term below it")
    if vocab.children(free_id):
        raise UsageError(
            f"{printable(vocab.path_text(free_id))!r} has terms below it: merge or move those first"
        )


def merge_terms(ws: Workspace, free: str, into: str, *, note: str | None = None, actor: str) -> MergeResult:
    """Fold the free term `free` into the term `into` (labels, aliases or paths)."""
    actor = required_text(actor, what="the actor (--by)")
    note = user_text(note, what="--note")
    with ws.db.write() as session:
        vocab = catalogue_vocab.load(session)
        free_id = catalogue_vocab.resolve(vocab, free)
        into_id = catalogue_vocab.resolve(vocab, into)
        _check(vocab, free_id, into_id)
        free_path, into_path = tuple(vocab.path(free_id)), tuple(vocab.path(into_id))
        why = f"merged into {vocab.path_text(into_id)}" + (f": {note}" if note else "")
        moved: dict[int, _Moved] = {}  # by item id
        tags: list[tuple[int, int]] = []
        for old in session.scalars(
            select(Annotation)
            .where(Annotation.term_id == free_id, withdrawals.standing("tag", Annotation.id))
            .order_by(Annotation.id)
        ):
            taken = withdrawals.take_back(session, "tag", old.id, actor=actor, note=why)
            new = Annotation(
                **{c.name: getattr(old, c.name) for c in Annotation.__table__.columns if c.name != "id"}
            )
            new.term_id, new.created_at = into_id, custody.now()
            session.add(new)
            session.flush()
            tags.append((old.id, new.id))
            done = moved.setdefault(old.item_id, _Moved())
            done.records += [("withdrawal", taken.id), ("tag", new.id)]
            done.tags.append([old.id, new.id])
        descriptions: list[tuple[int, int]] = []
        for said in session.scalars(
            select(Description)
            .where(Description.term_id == free_id, withdrawals.standing("description", Description.id))
            .order_by(Description.id)
        ):
            taken = withdrawals.take_back(session, "description", said.id, actor=actor, note=why)
            again = Description(
                item_id=said.item_id,
                term_id=into_id,
                claim_id=said.claim_id,
                source=said.source,
                note=said.note,
                created_at=custody.now(),
                created_by=actor,
            )
            session.add(again)
            session.flush()
            descriptions.append((said.id, again.id))
            done = moved.setdefault(said.item_id, _Moved())
            done.records += [("withdrawal", taken.id), ("description", again.id)]
            done.descriptions.append([said.id, again.id])
        for item_id, done in sorted(moved.items()):
            item = queries.by_id(session, Item, item_id)
            assert item is not None
            custody.append(
                session,
                actor=actor,
                action=CustodyAction.TERM_MERGE,
                subject=f"item:{item.sha256}",
                details={
                    "from": list(free_path),
                    "to": list(into_path),
                    "tags": done.tags,
                    "descriptions": done.descriptions,
                },
                records=done.records,
            )
        retired = withdrawals.take_back(session, "term", free_id, actor=actor, note=why)
        try:
            alias_added = catalogue_vocab.add_alias(
                session, vocab, into_id, free_path[-1], actor=actor, log=False
            )
        except UsageError:  # the label already names another term: it stays only a withdrawn term
            alias_added = False
        custody.append(
            session,
            actor=actor,
            action=CustodyAction.TERM_MERGE,
            subject=f"term:{free_id}",
            details={
                "from": list(free_path),
                "to": list(into_path),
                "tags": len(tags),
                "descriptions": len(descriptions),
                "alias": free_path[-1] if alias_added else None,
                "note": note,
            },
            records=[
                ("withdrawal", retired.id),
                *_alias_record(session, into_id, free_path, alias_added),
            ],
        )
    return MergeResult(free_path, into_path, tuple(tags), tuple(descriptions), alias_added)


def _alias_record(
    session: Session, term_id: int, free_path: tuple[str, ...], added: bool
) -> list[tuple[str, int]]:
    """The alias record made from the free term's label, to log."""
    if not added:
        return []
    key = normalise(free_path[-1])
    row = session.scalars(
        select(TermAlias).where(
            TermAlias.term_id == term_id, TermAlias.alias_key == key, TermAlias.language == ""
        )
    ).first()
    return [] if row is None else [("alias", row.id)]
