"""Many terms at once: a vocabulary file or the starter vocabulary. Everything is checked before anything
is written, and the import leaves one custody event (`vocabulary-import`) instead of one per term. The
caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from evidence.catalogue import custody
from evidence.catalogue.annotation_models import Term, TermAlias
from evidence.core.custody import CustodyAction
from evidence.core.vocab import (
    SEPARATOR,
    AliasEntry,
    TermNode,
    Vocabulary,
    check_label,
    check_language,
    normalise,
)
from evidence.core.vocab_io import VocabEntry
from evidence.errors import UsageError

Key = tuple[str, ...]  # a path as its normalised labels
Target = int | Key  # an existing term's id, or the key of a term the import makes


@dataclass(frozen=True, slots=True)
class ImportCounts:
    entries: int
    terms_added: int
    aliases_added: int
    aliases_skipped: int = 0
    records: tuple[tuple[str, int], ...] = ()  # the terms and aliases it made, for the import's event


@dataclass(slots=True)
class _Planned:
    label: str
    parent: Key
    note: str | None
    free: bool
    row: str


@dataclass(slots=True)
class _Plan:
    vocab: Vocabulary
    new: dict[Key, _Planned]
    ids: dict[Key, int]

    def shown(self, target: Target) -> str:
        if isinstance(target, int):
            return self.vocab.path_text(target)
        labels = []
        for depth in range(1, len(target) + 1):
            prefix = target[:depth]
            planned = self.new.get(prefix)
            labels.append(planned.label if planned else self.vocab.terms[self.ids[prefix]].label)
        return SEPARATOR.join(labels)


def _refused(row: str, message: str) -> UsageError:
    return UsageError(f"{row}: {message}; nothing was imported")


def _label(row: str, text: str) -> str:
    try:
        return check_label(text, term=True)
    except UsageError as exc:
        raise _refused(row, exc.message) from None


def _alias(row: str, text: str, language: str) -> tuple[str, str]:
    try:
        return check_label(text), check_language(language)
    except UsageError as exc:
        raise _refused(row, exc.message) from None


def _plan_terms(vocab: Vocabulary, entries: Sequence[VocabEntry]) -> tuple[_Plan, list[Target]]:
    plan = _Plan(vocab, {}, {})
    targets: list[Target] = []
    for entry in entries:
        key: Key = ()
        for label in entry.path:
            cleaned = _label(entry.row, label)
            parent, key = key, (*key, normalise(cleaned))
            if key in plan.new or key in plan.ids:
                continue
            found = None
            if not parent or parent in plan.ids:
                found = vocab.child_named(plan.ids[parent] if parent else None, cleaned)
            if found is not None:
                plan.ids[key] = found
            else:
                plan.new[key] = _Planned(cleaned, parent, None, False, entry.row)
        if not key:
            raise _refused(entry.row, "the path is empty")
        planned = plan.new.get(key)
        if planned is not None:
            if entry.note and planned.note and entry.note != planned.note:
                raise _refused(
                    entry.row, f"its note differs from the one given for this term at {planned.row}"
                )
            planned.note = planned.note or entry.note
            planned.free = planned.free or entry.free
        targets.append(key if planned is not None else plan.ids[key])
    return plan, targets


def import_entries(
    session: Session,
    vocab: Vocabulary,
    entries: Sequence[VocabEntry],
    *,
    actor: str,
    skip_alias_clashes: bool = False,
) -> ImportCounts:
    """Add what `entries` bring: every missing label along each path, then the aliases of each entry's
    last term. A refused row raises a UsageError that names it, before anything is written. An alias
    that already names another term in the same language is refused (or, with `skip_alias_clashes`,
    skipped and counted). Existing terms keep their notes. No events: the caller logs one
    (`log_import`)."""
    plan, targets = _plan_terms(vocab, entries)
    taken: dict[tuple[str, str], Target] = {
        (normalise(a.alias), a.language): a.term_id for aliases in vocab.aliases.values() for a in aliases
    }
    aliases: list[tuple[str, str, Target]] = []
    skipped = 0
    for entry, target in zip(entries, targets, strict=True):
        for text, language in entry.aliases:
            alias, lang = _alias(entry.row, text, language)
            slot = (normalise(alias), lang)
            owner = taken.get(slot)
            if owner is None:
                taken[slot] = target
                aliases.append((alias, lang, target))
                continue
            if owner == target:  # the term has it already (or an earlier row gave it)
                continue
            if skip_alias_clashes:
                skipped += 1
                continue
            where = f" in {lang!r}" if lang else ""
            raise _refused(
                entry.row,
                f"the alias {alias!r}{where} already names {plan.shown(owner)!r}, not {plan.shown(target)!r} "
                "(an alias names one term per language)",
            )
    terms = _write_terms(session, plan, actor)
    alias_ids = _write_aliases(session, plan, aliases, actor)
    records = (*(("term", i) for i in terms), *(("alias", i) for i in alias_ids))
    return ImportCounts(len(entries), len(plan.new), len(alias_ids), skipped, records)


def _write_terms(session: Session, plan: _Plan, actor: str) -> list[int]:
    """Insert the new terms a level at a time (one batched INSERT per depth); returns their ids."""
    now = custody.now()
    made: list[int] = []
    for depth in sorted({len(k) for k in plan.new}):
        level = [(k, p) for k, p in plan.new.items() if len(k) == depth]
        rows = []
        for _key, p in level:
            parent = plan.ids[p.parent] if p.parent else None
            rows.append(
                Term(
                    parent_id=parent,
                    scope=parent or 0,
                    label=p.label,
                    label_key=normalise(p.label),
                    free=p.free,
                    note=p.note,
                    created_at=now,
                    created_by=actor,
                )
            )
        session.add_all(rows)
        session.flush()
        for (key, p), row in zip(level, rows, strict=True):
            plan.ids[key] = row.id
            plan.vocab.add_term(TermNode(row.id, row.parent_id, p.label, p.free, p.note))
            made.append(row.id)
    return made


def _write_aliases(
    session: Session, plan: _Plan, aliases: list[tuple[str, str, Target]], actor: str
) -> list[int]:
    now = custody.now()
    rows = [
        TermAlias(
            term_id=target if isinstance(target, int) else plan.ids[target],
            alias=alias,
            alias_key=normalise(alias),
            language=lang,
            created_at=now,
            created_by=actor,
        )
        for alias, lang, target in aliases
    ]
    session.add_all(rows)
    session.flush()
    for row in rows:
        plan.vocab.add_alias(AliasEntry(row.term_id, row.alias, row.language))
    return [row.id for row in rows]


@dataclass(frozen=True, slots=True)
class ImportResult:
    counts: ImportCounts
    origin: str  # "file" | "starter"
    format: str
    sha256: str
    terms_total: int


def log_import(session: Session, counts: ImportCounts, *, actor: str, details: dict[str, Any]) -> None:
    """The one custody event of a bulk import."""
    custody.append(
        session,
        actor=actor,
        action=CustodyAction.VOCABULARY_IMPORT,
        subject="vocabulary",
        details={
            **details,
            "entries": counts.entries,
            "terms_added": counts.terms_added,
            "aliases_added": counts.aliases_added,
            "aliases_skipped": counts.aliases_skipped,
        },
        records=counts.records,
    )
