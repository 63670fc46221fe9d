"""Seeding a catalogue with the starter vocabulary (`starter_vocabulary`): on `evidence init`, when
`evidence db upgrade` brings the vocabulary tables, and on `evidence terms import --starter`. Functions
take a Session and never commit."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evidence.catalogue import starter_vocabulary
from evidence.catalogue import vocab as catalogue_vocab
from evidence.catalogue.annotation_models import Term
from evidence.catalogue.vocab_import import ImportResult, import_entries, log_import
from evidence.core import vocab_io

# the schema revision that brought the vocabulary tables
VOCABULARY_SCHEMA = "0004"


def add_starter(session: Session, actor: str) -> ImportResult:
    """Add what the catalogue lacks of the starter vocabulary (its aliases that already name other terms
    are skipped and counted, not refused), with one custody event when anything was added."""
    entries = starter_vocabulary.entries()
    digest = vocab_io.canonical_digest(entries)
    vocab = catalogue_vocab.load(session)
    counts = import_entries(session, vocab, entries, actor=actor, skip_alias_clashes=True)
    if counts.terms_added or counts.aliases_added:
        details = {"origin": "starter", "version": starter_vocabulary.VERSION, "sha256": digest}
        log_import(session, counts, actor=actor, details=details)
    return ImportResult(counts, "starter", "starter", digest, len(vocab))


def seed_starter(session: Session, *, actor: str) -> ImportResult | None:
    """Give a catalogue with no terms yet (new, or just upgraded to the vocabulary tables) the starter
    vocabulary, inside the caller's transaction, with one custody event; None when it has terms."""
    if session.scalar(select(func.count()).select_from(Term)):
        return None
    return add_starter(session, actor)


def starter_due(schema_before: str | None) -> bool:
    """Whether a catalogue whose schema was at `schema_before` just gained the vocabulary tables."""
    return schema_before is None or schema_before < VOCABULARY_SCHEMA
