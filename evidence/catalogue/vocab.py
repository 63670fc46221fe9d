"""The vocabulary in the catalogue: load it, add paths and aliases, move terms, import many at once, and
turn what an analyst typed into a term. Callers own the transaction; every change appends a custody
event (subject `term:<id>`), except that a bulk import (`import_entries`, or `log=False`) leaves one
summary event to its caller (`log_import`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evidence.catalogue import custody, withdrawals
from evidence.catalogue.annotation_models import Annotation, Term, TermAlias, Withdrawal
from evidence.catalogue.reuse import PerHead
from evidence.core.custody import CustodyAction
from evidence.core.vocab import (
    AliasEntry,
    TermNode,
    Vocabulary,
    check_label,
    check_language,
    normalise,
    split_path,
)
from evidence.errors import UsageError


def load(session: Session) -> Vocabulary:
    # plain rows, not ORM objects: a vocabulary of thousands of terms loads on every command
    columns = select(Term.id, Term.parent_id, Term.label, Term.free, Term.note)
    terms = [TermNode(*row) for row in session.execute(columns)]
    by_id = select(TermAlias.term_id, TermAlias.alias, TermAlias.language).order_by(TermAlias.id)
    aliases = [AliasEntry(*row) for row in session.execute(by_id)]
    merged = session.scalars(select(Withdrawal.record_id).where(Withdrawal.record == "term"))
    return Vocabulary(terms, aliases, retired=merged)


_SHARED = PerHead(load)


def shared(session: Session) -> Vocabulary:
    """The vocabulary for reading only (the caller never changes it): in a long-running reader, the one
    loaded earlier while nothing has changed (`catalogue.reuse`); else loaded."""
    return _SHARED.get(session)


@dataclass(frozen=True, slots=True)
class TermChoice:
    """The term a label resolved to; `created` lists the paths of terms made on the way, and `free` says
    the label was unknown and became a free term."""

    term_id: int
    path: str
    created: tuple[str, ...] = ()
    free: bool = False
    nearest: tuple[str, ...] = ()  # for a free term: the curated terms it is closest to


def create_term(
    session: Session,
    vocab: Vocabulary,
    parent_id: int | None,
    label: str,
    *,
    actor: str,
    free: bool = False,
    note: str | None = None,
    origin: str = "manual",
    log: bool = True,
) -> int:
    """Add one term under `parent_id` (None: at the root) and log it (unless `log` is False: a bulk
    import logs one summary event instead); the label must be new there."""
    cleaned = check_label(label, term=True)
    if vocab.child_named(parent_id, cleaned) is not None:
        raise UsageError(f"{cleaned!r} is already a term there")
    row = Term(
        parent_id=parent_id,
        scope=parent_id or 0,
        label=cleaned,
        label_key=normalise(cleaned),
        free=free,
        note=note,
        created_at=custody.now(),
        created_by=actor,
    )
    session.add(row)
    session.flush()
    vocab.add_term(TermNode(id=row.id, parent_id=parent_id, label=cleaned, free=free, note=note))
    if not log:
        return row.id
    custody.append(
        session,
        actor=actor,
        action=CustodyAction.TERM_ADD,
        subject=f"term:{row.id}",
        details={"path": vocab.path(row.id), "free": free, "note": note, "origin": origin},
        records=[("term", row.id)],
    )
    return row.id


def add_path(
    session: Session,
    vocab: Vocabulary,
    path: str,
    *,
    actor: str,
    note: str | None = None,
    origin: str = "manual",
) -> TermChoice:
    """Make sure every label of `path` exists from the root down; return the last one."""
    labels = split_path(path)
    if not labels:
        raise UsageError("give a term path such as 'weapon › small arms › rifle › AK-74M'")
    current: int | None = None
    created: list[str] = []
    for depth, label in enumerate(labels):
        found = vocab.child_named(current, label)
        if found is None:
            last = depth == len(labels) - 1
            found = create_term(
                session, vocab, current, label, actor=actor, note=note if last else None, origin=origin
            )
            created.append(vocab.path_text(found))
        current = found
    assert current is not None
    return TermChoice(term_id=current, path=vocab.path_text(current), created=tuple(created))


def add_alias(
    session: Session,
    vocab: Vocabulary,
    term_id: int,
    alias: str,
    *,
    language: str = "",
    actor: str,
    log: bool = True,
) -> bool:
    """Give a term another name; False when it already has exactly this alias. An alias may name only
    one term per language (`language`: a BCP 47 tag, or "" for none)."""
    cleaned = check_label(alias)
    language = check_language(language)
    key = normalise(cleaned)
    existing = session.scalars(
        select(TermAlias).where(TermAlias.alias_key == key, TermAlias.language == language)
    ).first()
    if existing is not None:
        if existing.term_id == term_id:
            return False
        where = f" in {language!r}" if language else ""
        raise UsageError(
            f"the alias {cleaned!r}{where} already names {vocab.path_text(existing.term_id)!r}; "
            "an alias names one term per language"
        )
    row = TermAlias(
        term_id=term_id,
        alias=cleaned,
        alias_key=key,
        language=language,
        created_at=custody.now(),
        created_by=actor,
    )
    session.add(row)
    session.flush()
    vocab.add_alias(AliasEntry(term_id, cleaned, language))
    if not log:
        return True
    custody.append(
        session,
        actor=actor,
        action=CustodyAction.TERM_ALIAS,
        subject=f"term:{term_id}",
        details={"path": vocab.path(term_id), "alias": cleaned, "language": language},
        records=[("alias", row.id)],
    )
    return True


def describe_choices(vocab: Vocabulary, ids: list[int]) -> str:
    return "; ".join(repr(vocab.path_text(i)) for i in ids)


def resolve(vocab: Vocabulary, text: str) -> int:
    """The one existing term that `text` names, or a UsageError that says what to type instead."""
    ids = vocab.lookup(text)
    if len(ids) == 1:
        return ids[0]
    if len(ids) > 1:
        raise UsageError(f"{text!r} names several terms: {describe_choices(vocab, ids)}; give the path")
    near = vocab.nearest(text)
    hint = f"; nearest: {describe_choices(vocab, near)}" if near else ""
    raise UsageError(f"unknown term {text!r}{hint} (add it with `evidence terms add PATH`)")


def _curated_nearest(vocab: Vocabulary, text: str, besides: int | None = None) -> tuple[str, ...]:
    """The paths of the (at most three) curated terms closest to `text`, for a "did you mean"."""
    near = [i for i in vocab.nearest(text) if i != besides and not vocab.terms[i].free]
    return tuple(vocab.path_text(i) for i in near[:3])


def ensure_term(session: Session, vocab: Vocabulary, text: str, *, strict: bool, actor: str) -> TermChoice:
    """The term an analyst means by `text` when tagging or describing.

    A known label, alias or path resolves to its term (ambiguity is an error). An unknown one is refused
    with the nearest terms when `strict`; otherwise it becomes a free term: at the root for a bare label,
    or under its known parent for a path whose parent exists (new labels below it are created)."""
    ids = vocab.lookup(text)
    if len(ids) == 1:
        near = _curated_nearest(vocab, text, besides=ids[0]) if vocab.terms[ids[0]].free else ()
        return TermChoice(term_id=ids[0], path=vocab.path_text(ids[0]), nearest=near)
    if len(ids) > 1 or strict:
        resolve(vocab, text)  # raises with the candidates or the nearest terms
    labels = split_path(text)
    if not labels:
        raise UsageError("give a term, such as 'AK-74M' or 'weapon › small arms › rifle'")
    near = _curated_nearest(vocab, text)
    current: int | None = None
    created: list[str] = []
    for label in labels:
        found = vocab.child_named(current, label)
        if found is None:
            found = create_term(
                session,
                vocab,
                current,
                label,
                actor=actor,
                free=True,
                note="free label (not in the vocabulary)",
            )
            created.append(vocab.path_text(found))
        current = found
    assert current is not None
    return TermChoice(
        term_id=current, path=vocab.path_text(current), created=tuple(created), free=True, nearest=near
    )


def set_note(session: Session, vocab: Vocabulary, term_id: int, note: str | None, *, actor: str) -> bool:
    """Change a term's note; False when it already says exactly that."""
    note = note.strip() if note and note.strip() else None
    if vocab.terms[term_id].note == note:
        return False
    session.get_one(Term, term_id).note = note
    session.flush()
    vocab.set_note(term_id, note)
    custody.append(
        session,
        actor=actor,
        action=CustodyAction.TERM_NOTE,
        subject=f"term:{term_id}",
        details={"path": vocab.path(term_id), "note": note},
        records=[("term", term_id)],
    )
    return True


def move_term(
    session: Session, vocab: Vocabulary, term_id: int, new_parent_id: int | None, *, actor: str
) -> bool:
    """Put a term, with everything below it, under another parent (None: the root); False when it is
    already there. Refused when the new parent is the term itself or below it, or already has a child
    with the same label."""
    node = vocab.terms[term_id]
    if node.parent_id == new_parent_id:
        return False
    where = repr(vocab.path_text(new_parent_id)) if new_parent_id is not None else "the root"
    if vocab.would_cycle(term_id, new_parent_id):
        raise UsageError(
            f"cannot move {vocab.path_text(term_id)!r} under {where}: that is the term itself or below it, "
            "and a term cannot be its own ancestor"
        )
    if vocab.child_named(new_parent_id, node.label) is not None:
        raise UsageError(f"{where} already has a term {node.label!r}; tag with that one instead")
    before = vocab.path(term_id)
    row = session.get_one(Term, term_id)
    row.parent_id, row.scope = new_parent_id, new_parent_id or 0
    session.flush()
    vocab.move_term(term_id, new_parent_id)
    custody.append(
        session,
        actor=actor,
        action=CustodyAction.TERM_MOVE,
        subject=f"term:{term_id}",
        details={"from": before, "to": vocab.path(term_id)},
        records=[("term", term_id)],
    )
    return True


def tag_counts(session: Session) -> dict[int, int]:
    """How many standing (not withdrawn) tags each term has."""
    rows = session.execute(
        select(Annotation.term_id, func.count())
        .where(withdrawals.standing("tag", Annotation.id))
        .group_by(Annotation.term_id)
    )
    return {term_id: count for term_id, count in rows}
