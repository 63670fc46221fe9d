"""Described contents: what a claim or a source says the footage shows ("a compass"), and whether
analysts have observed it — a tag of that term or of a term below it, on the item or on one of its
copies (items joined to it by duplicate / excerpt-of / contains relations, suggested or confirmed).
`evidence describe` records one; `described` checks them all for an item."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.catalogue import claims as claims_db
from evidence.catalogue import custody, queries, withdrawals
from evidence.catalogue import vocab as catalogue_vocab
from evidence.catalogue.annotation_models import Claim, Description
from evidence.catalogue.descriptions import (
    Described,
    described,
)
from evidence.catalogue.models import Item
from evidence.core.custody import CustodyAction
from evidence.core.text import required_text, user_text
from evidence.core.vocab import Vocabulary
from evidence.errors import NotFound, UsageError
from evidence.workspace import Workspace


def record_description(
    session: Session,
    vocab: Vocabulary,
    item: Item,
    term_id: int,
    *,
    claim_id: int | None,
    source: str | None,
    note: str | None,
    actor: str,
) -> tuple[Description, bool]:
    """One description and its "describe" event; the same (item, term, claim, source) recorded again
    returns the first one and False. The caller owns the transaction."""
    existing = session.scalars(
        select(Description).where(
            Description.item_id == item.id,
            Description.term_id == term_id,
            Description.claim_id == claim_id,
            Description.source == source,
            withdrawals.standing("description", Description.id),
        )
    ).first()
    if existing is not None:
        return existing, False
    row = Description(
        item_id=item.id,
        term_id=term_id,
        claim_id=claim_id,
        source=source,
        note=note,
        created_at=custody.now(),
        created_by=actor,
    )
    session.add(row)
    session.flush()
    custody.append(
        session,
        actor=actor,
        action=CustodyAction.DESCRIBE,
        subject=f"item:{item.sha256}",
        details={
            "description": row.id,
            "term": vocab.path(term_id),
            "claim": claim_id,
            "source": source,
            "note": note,
        },
        records=[("description", row.id)],
    )
    return row, True


@dataclass(frozen=True, slots=True)
class DescribeResult:
    description_id: int
    item: Item
    path: tuple[str, ...]
    claim_id: int | None
    source: str | None
    recorded: bool  # False: exactly this description was already there
    free: bool  # the term is a free term (not in the curated vocabulary)
    free_terms: tuple[str, ...]  # paths of free terms made for it
    nearest: tuple[str, ...] = ()  # a new free term's closest curated terms ("did you mean")


def _check_claim_is_about(session: Session, claim_id: int, item: Item) -> None:
    """A description attributed to a claim must be of an item the claim is about."""
    if queries.by_id(session, Claim, claim_id) is None:
        raise NotFound(f"no claim with id {claim_id}: see `evidence claims {item.id}`")
    if withdrawals.of(session, "claim", [claim_id]):
        raise UsageError(
            f"claim {claim_id} was withdrawn: it counts for nothing (see `evidence claims {item.id} --all`)"
        )
    about = claims_db.items_of(session, claim_id)
    if item.id not in about:
        items = ", ".join(f"#{i}" for i in about)
        raise UsageError(
            f"claim {claim_id} is about {items}, not #{item.id}: describe one of those, or give --source "
            "instead of --claim"
        )


def describe(
    ws: Workspace,
    ref: str,
    term: str,
    *,
    source: str | None = None,
    claim_id: int | None = None,
    note: str | None = None,
    strict: bool = False,
    actor: str,
) -> DescribeResult:
    """Record that a claim (`claim_id`) or a source says the item shows `term`."""
    actor = required_text(actor, what="the annotator (--by)")
    source = user_text(source, what="--source")
    note = user_text(note, what="--note")
    with ws.db.write() as session:
        item = queries.resolve_ref(session, ref)
        if claim_id is not None:
            _check_claim_is_about(session, claim_id, item)
        vocab = catalogue_vocab.load(session)
        choice = catalogue_vocab.ensure_term(session, vocab, term, strict=strict, actor=actor)
        row, recorded = record_description(
            session, vocab, item, choice.term_id, claim_id=claim_id, source=source, note=note, actor=actor
        )
        free = choice.free or vocab.terms[choice.term_id].free
        path = tuple(vocab.path(choice.term_id))
        return DescribeResult(
            row.id, item, path, claim_id, source, recorded, free, choice.created, choice.nearest
        )


@dataclass(frozen=True, slots=True)
class WithdrawnDescription:
    description_id: int
    item: Item
    path: tuple[str, ...]
    claim_id: int | None
    source: str | None


def withdraw_description(
    ws: Workspace, description_id: int, *, note: str, actor: str
) -> WithdrawnDescription:
    """Take a description back (the wrong term, item or source): a withdrawal says who, when and why;
    the description is kept as it was but no longer compared with the tags. Logged on its item."""
    reason = required_text(note, what="the reason (--note)")
    actor = required_text(actor, what="the actor (--by)")
    with ws.db.write() as session:
        row = queries.by_id(session, Description, description_id)
        if row is None:
            raise NotFound(f"no description with id {description_id}: see `evidence show REF --json`")
        taken = withdrawals.take_back(session, "description", row.id, actor=actor, note=reason)
        item = session.get_one(Item, row.item_id)
        path = tuple(catalogue_vocab.load(session).path(row.term_id))
        custody.append(
            session,
            actor=actor,
            action=CustodyAction.DESCRIBE_WITHDRAW,
            subject=f"item:{item.sha256}",
            details={"description": row.id, "term": list(path), "note": reason},
            records=[("withdrawal", taken.id)],
        )
    return WithdrawnDescription(row.id, item, path, row.claim_id, row.source)


def described_of(ws: Workspace, ref: str) -> tuple[Item, list[Described]]:
    with ws.db.read() as session:
        item = queries.resolve_ref(session, ref)
        return item, described(session, catalogue_vocab.load(session), item)
