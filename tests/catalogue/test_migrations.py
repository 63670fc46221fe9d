"""Alembic drives the schema: one head, upgrade from empty and with data, no drift from the models."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from conftest import Catalogue
from sqlalchemy import create_engine

from evidence.catalogue import schema


def _config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(schema.migrations_dir()))
    config.attributes["evidence_url"] = url
    return config


def test_single_head_is_the_one_the_code_expects() -> None:
    heads = ScriptDirectory.from_config(_config("sqlite://")).get_heads()
    assert heads == [schema.SCHEMA_HEAD]


def test_upgrade_from_empty_and_models_match_migrations(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    before, after = schema.upgrade(url)
    assert (before, after) == (None, schema.SCHEMA_HEAD)
    command.check(_config(url))  # raises if the models and the migrations disagree
    engine = create_engine(url)
    assert schema.current_revision(engine) == schema.SCHEMA_HEAD
    engine.dispose()


def test_upgrade_is_idempotent_on_a_catalogue_with_data(catalogue: Catalogue) -> None:
    (catalogue.home / "a.txt").write_text("kept across upgrades")
    catalogue.ok("add", catalogue.home / "a.txt")
    head_before = catalogue.json("verify")["chain_head"]
    result = catalogue.ok("db", "upgrade")
    assert "already current" in result.stdout
    assert len(catalogue.json("list")["items"]) == 1
    report = catalogue.json("verify")
    assert report["ok"] is True and report["events_checked"] >= 5 and report["chain_head"] != head_before


def test_a_catalogue_whose_schema_is_behind_refuses_with_exit_6(sqlite_catalogue: Catalogue) -> None:
    conn = sqlite3.connect(sqlite_catalogue.root / "catalogue.sqlite")
    conn.execute("UPDATE alembic_version SET version_num = '0000'")
    conn.commit()
    conn.close()
    (sqlite_catalogue.home / "a.txt").write_text("refused")
    for args in (("add", sqlite_catalogue.home / "a.txt"), ("list",)):
        result = sqlite_catalogue.run(*args)
        assert result.exit_code == 6, result.output
        assert "evidence db upgrade" in result.stderr


def test_upgrade_from_the_first_revision_keeps_rows_and_chain(tmp_path: Path) -> None:
    """A catalogue made by migration 0001, with an item and custody rows, upgrades to head intact."""
    from evidence.core.custody import GENESIS, event_hash
    from evidence.core.timeutil import parse_instant

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    schema.upgrade(url, "0001")
    at = parse_instant("2026-01-02T03:04:05Z").at
    digest = event_hash(seq=1, at=at, actor="a", action="init", subject="catalogue", details={}, prev=GENESIS)
    conn = sqlite3.connect(tmp_path / "old.sqlite")
    conn.execute(
        "INSERT INTO item (sha256, size, kind, mime, declared_ext, probe, analysis, first_catalogued_at) "
        "VALUES (?, 3, 'other', 'text/plain', 'txt', '{}', 'ok', '2026-01-02 03:04:05.000000')",
        ("a" * 64,),
    )
    conn.execute(
        "INSERT INTO event (seq, at, actor, action, subject, details, prev_hash, hash) "
        "VALUES (1, '2026-01-02 03:04:05.000000', 'a', 'init', 'catalogue', '{}', ?, ?)",
        (GENESIS, digest),
    )
    conn.commit()
    conn.close()
    before, after = schema.upgrade(url)
    assert (before, after) == ("0001", schema.SCHEMA_HEAD)
    conn = sqlite3.connect(tmp_path / "old.sqlite")
    assert conn.execute("SELECT sha256, summary FROM item").fetchall() == [("a" * 64, None)]
    assert conn.execute("SELECT hash FROM event").fetchall() == [(digest,)]
    conn.close()
    from evidence.catalogue import custody
    from evidence.catalogue.engine import Database
    from evidence.core.custody import walk_chain

    db = Database(url)
    with db.read() as session:
        assert list(walk_chain(custody.records(session))) == []
    db.dispose()
