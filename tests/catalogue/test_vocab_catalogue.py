"""The vocabulary in the catalogue, on each backend: the starter, aliases per language, moves, bulk
imports that are all or nothing, and one custody event per import."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PG_ENV, Catalogue, pg_url, reset_postgres
from sqlalchemy import func, select

from evidence.annotation import vocabulary
from evidence.catalogue import schema, starter, starter_vocabulary
from evidence.catalogue import vocab as catalogue_vocab
from evidence.catalogue.annotation_models import Term, TermAlias
from evidence.catalogue.engine import Database
from evidence.catalogue.models import Event
from evidence.catalogue.vocab_import import import_entries
from evidence.config import MARKER, Location
from evidence.core.vocab_io import VocabEntry
from evidence.errors import UsageError
from evidence.store.choose import open_store
from evidence.workspace import Workspace, upgrade_catalogue


@pytest.fixture
def db(catalogue: Catalogue) -> Iterator[Database]:
    database = Database(catalogue.url)
    yield database
    database.dispose()


def counts(db: Database) -> tuple[int, int, int]:
    with db.read() as session:
        return (
            session.scalar(select(func.count()).select_from(Term)) or 0,
            session.scalar(select(func.count()).select_from(TermAlias)) or 0,
            session.scalar(select(func.count()).select_from(Event)) or 0,
        )


def actions(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(Event.action).order_by(Event.seq)))


def test_a_new_catalogue_has_the_starter_with_one_event(db: Database) -> None:
    terms, aliases, _ = counts(db)
    starter = starter_vocabulary.entries()
    assert terms == len(starter) and aliases == sum(len(e.aliases) for e in starter)
    assert actions(db) == ["init", "vocabulary-import"]
    with db.read() as session:
        event = session.scalars(select(Event).where(Event.action == "vocabulary-import")).one()
        vocab = catalogue_vocab.load(session)
    assert event.details["origin"] == "starter"
    assert event.details["version"] == starter_vocabulary.VERSION
    assert event.details["terms_added"] == terms and event.details["aliases_added"] == aliases
    assert len(event.details["sha256"]) == 64
    ak = catalogue_vocab.resolve(vocab, "АК-74М")
    assert vocab.path_text(ak) == "weapon › small arms › rifle › AK-74M"
    assert catalogue_vocab.resolve(vocab, "ИПП") == catalogue_vocab.resolve(vocab, "bandage packet")


def test_importing_the_starter_again_adds_nothing_and_logs_nothing(
    catalogue: Catalogue, db: Database
) -> None:
    before = counts(db)
    with db.write() as session:
        assert starter.seed_starter(session, actor="t") is None  # not empty: not seeded
    location = Location(catalogue.root, catalogue.url)
    with Workspace(location, Database(catalogue.url), open_store(location.root)) as ws:
        result = vocabulary.import_starter(ws, actor="t")
    assert result.counts.terms_added == 0 and result.counts.aliases_added == 0
    assert counts(db) == before


def test_an_alias_names_one_term_per_language(db: Database) -> None:
    with db.write() as session:
        vocab = catalogue_vocab.load(session)
        helmet = catalogue_vocab.resolve(vocab, "helmet")
        pistol = catalogue_vocab.resolve(vocab, "pistol")
        assert catalogue_vocab.add_alias(session, vocab, helmet, "kask", language="tr", actor="t")
        assert not catalogue_vocab.add_alias(session, vocab, helmet, "KASK", language="TR", actor="t")
        # the same word in another language may name another term
        assert catalogue_vocab.add_alias(session, vocab, pistol, "kask", language="pl", actor="t")
        with pytest.raises(UsageError, match="already names 'protective gear › helmet'"):
            catalogue_vocab.add_alias(session, vocab, pistol, "Kask", language="tr", actor="t")
        with pytest.raises(UsageError, match="not a language tag"):
            catalogue_vocab.add_alias(session, vocab, pistol, "pistolet", language="polish!", actor="t")
    with db.read() as session:
        rows = session.execute(
            select(TermAlias.term_id, TermAlias.language).where(TermAlias.alias_key == "kask")
        )
        assert sorted(rows, key=lambda r: r[1]) == [(pistol, "pl"), (helmet, "tr")]


def test_move_updates_the_scope_and_refuses_cycles_and_twins(db: Database) -> None:
    with db.write() as session:
        vocab = catalogue_vocab.load(session)
        rifle = catalogue_vocab.resolve(vocab, "rifle")
        ak = catalogue_vocab.resolve(vocab, "AK-74M")
        pistol = catalogue_vocab.resolve(vocab, "pistol")
        with pytest.raises(UsageError, match="own ancestor"):
            catalogue_vocab.move_term(session, vocab, rifle, ak, actor="t")
        with pytest.raises(UsageError, match="own ancestor"):
            catalogue_vocab.move_term(session, vocab, rifle, rifle, actor="t")
        assert catalogue_vocab.move_term(session, vocab, ak, pistol, actor="t")
        assert not catalogue_vocab.move_term(session, vocab, ak, pistol, actor="t")
        twin = catalogue_vocab.create_term(session, vocab, rifle, "AK-74M", actor="t")
        with pytest.raises(UsageError, match="already has a term 'AK-74M'"):
            catalogue_vocab.move_term(session, vocab, twin, pistol, actor="t")
        assert catalogue_vocab.move_term(session, vocab, twin, None, actor="t")
    with db.read() as session:
        row = session.get_one(Term, ak)
        assert (row.parent_id, row.scope) == (pistol, pistol)
        assert session.get_one(Term, twin).scope == 0
        moves = session.scalars(select(Event).where(Event.action == "term-move").order_by(Event.seq)).all()
        first = dict(moves[0].details)
        assert list(first.pop("records")) == [f"term:{ak}"]  # the digest of the moved term's state
        assert first == {
            "from": ["weapon", "small arms", "rifle", "AK-74M"],
            "to": ["weapon", "small arms", "pistol", "AK-74M"],
        }


def test_a_label_cannot_hold_a_separator(db: Database) -> None:
    with db.write() as session, pytest.raises(UsageError, match="path separator"):
        catalogue_vocab.create_term(session, catalogue_vocab.load(session), None, "a/b", actor="t")


def test_a_bulk_import_writes_nothing_when_a_later_row_clashes(db: Database) -> None:
    before = counts(db)
    rows = [
        VocabEntry(("weapon", "small arms", "rifle", "AK-99"), (("АК-99", "ru"),), row="line 2"),
        VocabEntry(("new root", "child"), row="line 3"),
        VocabEntry(("new root", "other"), (("шлем", "ru"),), row="line 4"),
    ]
    expected = r"^line 4: the alias 'шлем' in 'ru' already names 'protective gear › helmet'"
    with pytest.raises(UsageError, match=expected), db.write() as session:
        import_entries(session, catalogue_vocab.load(session), rows, actor="t")
    assert counts(db) == before


def test_a_bulk_import_merges_rows_and_skips_what_exists(db: Database) -> None:
    rows = [
        VocabEntry(("Weapon", "Small Arms", "Rifle", "AK-99"), (("АК-99", "ru"),), note="n", row="1"),
        VocabEntry(
            ("weapon", "small arms", "rifle", "AK-99"), (("ак-99", "RU"), ("AK99", "")), note="n", row="2"
        ),
        VocabEntry(("weapon", "small arms", "rifle", "AK-74M"), (("АК-74М", "ru"),), row="3"),
    ]
    with db.write() as session:
        vocab = catalogue_vocab.load(session)
        result = import_entries(session, vocab, rows, actor="t")
    assert (result.terms_added, result.aliases_added) == (1, 2)
    with db.read() as session:
        vocab = catalogue_vocab.load(session)
    ak99 = catalogue_vocab.resolve(vocab, "AK99")
    assert vocab.path_text(ak99) == "weapon › small arms › rifle › AK-99"  # existing labels keep their case
    assert vocab.terms[ak99].note == "n"


def _at_0003(tmp_path: Path, backend: str) -> tuple[Path, str]:
    home = tmp_path / "old" / ".evidence"
    home.mkdir(parents=True)
    (home / MARKER).write_text("an evidence catalogue\n")
    (home / "store").mkdir()
    if backend == "postgresql":
        url = pg_url()
        if url is None:
            pytest.skip(f"no PostgreSQL server configured (set {PG_ENV})")
        reset_postgres(url)
    else:
        url = f"sqlite:///{home / 'catalogue.sqlite'}"
    schema.upgrade(url, "0003")
    return home, url


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrading_from_0003_brings_the_starter(
    tmp_path: Path, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, url = _at_0003(tmp_path, backend)
    monkeypatch.setenv("EVIDENCE_DATABASE_URL", url if backend == "postgresql" else "")
    result = upgrade_catalogue(home, actor="t")
    assert (result.before, result.after, result.starter_added) == ("0003", schema.SCHEMA_HEAD, True)
    again = upgrade_catalogue(home, actor="t")
    assert not again.starter_added
    database = Database(url)
    try:
        assert counts(database)[0] == len(starter_vocabulary.entries())
        assert actions(database) == ["vocabulary-import"]
    finally:
        database.dispose()
