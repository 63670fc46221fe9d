"""Alembic drives the schema: one head, upgrade from empty and with data, no drift from the models."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from conftest import Catalogue, _backends, pg_url, reset_postgres
from sqlalchemy import create_engine

from evidence.catalogue import schema
from evidence.catalogue.base import JSONText, UTCDateTime


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


# A catalogue made by the first migration, filled as the code of that time did: items whose objects
# are in the store, acquisitions, and their custody events. Then upgraded to head.

OLD_TABLES = sa.MetaData()
OLD_ITEM = sa.Table(
    "item",
    OLD_TABLES,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sha256", sa.String(64)),
    sa.Column("size", sa.BigInteger),
    sa.Column("kind", sa.String(16)),
    sa.Column("mime", sa.String(100)),
    sa.Column("declared_ext", sa.String(32)),
    sa.Column("probe", JSONText),
    sa.Column("analysis", sa.String(400)),
    sa.Column("first_catalogued_at", UTCDateTime),
)
OLD_ACQUISITION = sa.Table(
    "acquisition",
    OLD_TABLES,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("item_id", sa.Integer),
    sa.Column("original_name", sa.Text),
    sa.Column("original_path", sa.Text),
    sa.Column("source_url", sa.Text),
    sa.Column("posted_at", UTCDateTime),
    sa.Column("posted_at_precision", sa.String(16)),
    sa.Column("captured_at", UTCDateTime),
    sa.Column("claimed_by", sa.Text),
    sa.Column("collected_by", sa.Text),
    sa.Column("note", sa.Text),
    sa.Column("tool_version", sa.String(64)),
)
OLD_EVENT = sa.Table(
    "event",
    OLD_TABLES,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", UTCDateTime),
    sa.Column("actor", sa.Text),
    sa.Column("action", sa.String(64)),
    sa.Column("subject", sa.Text),
    sa.Column("details", JSONText),
    sa.Column("prev_hash", sa.String(64)),
    sa.Column("hash", sa.String(64)),
)


def _old_catalogue(home: Path, backend: str, url: str | None) -> Catalogue:
    """`.evidence/` at schema 0001 with 2 items, 3 acquisitions and 6 custody events."""
    from evidence.core.custody import GENESIS, event_hash
    from evidence.store.local import LocalStore

    root = home / ".evidence"
    root.mkdir(parents=True)
    (root / "EVIDENCE").write_text("This folder is an evidence catalogue.\n")
    store = LocalStore(root / "store")
    store.create()
    cat = Catalogue(home, backend, url)
    schema.upgrade(cat.url, "0001")
    t0 = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    events: list[tuple[str, str, dict[str, Any]]] = [
        ("init", "catalogue", {"tool": "evidence 0.1", "schema": "0001"})
    ]
    items, acquisitions = [], []
    for n, body in enumerate([b"first file\n", b"second file, twice\n"], start=1):
        sha = hashlib.sha256(body).hexdigest()
        path = store.path_for(sha)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        path.chmod(0o444)
        items.append(
            {
                "id": n, "sha256": sha, "size": len(body), "kind": "other", "mime": "text/plain",
                "declared_ext": "txt", "probe": {"format": "text"}, "analysis": "ok",
                "first_catalogued_at": t0 + timedelta(minutes=n),
            }
        )  # fmt: skip
        events.append(("preserve", f"item:{sha}", {"sha256": sha, "size": len(body), "store": "objects"}))
        for copy in range(n):
            acq_id = len(acquisitions) + 1
            posted = t0 - timedelta(days=acq_id)
            acq = {
                "id": acq_id, "item_id": n, "original_name": f"f{acq_id}.txt",
                "original_path": f"/in/f{acq_id}.txt", "source_url": f"https://example.org/{acq_id}",
                "posted_at": posted, "posted_at_precision": "second",
                "captured_at": t0 + timedelta(minutes=n, seconds=copy), "claimed_by": "Agency",
                "collected_by": "tester", "note": f"note {acq_id}", "tool_version": "evidence 0.1",
            }  # fmt: skip
            acquisitions.append(acq)
            events.append(
                (
                    "acquire",
                    f"item:{sha}",
                    {
                        "acquisition": acq_id, "original_path": acq["original_path"],
                        "source_url": acq["source_url"], "posted_at": posted.isoformat(),
                        "claimed_by": "Agency", "collected_by": "tester", "note": acq["note"],
                        "duplicate": copy > 0,
                    },
                )
            )  # fmt: skip
    rows, prev = [], GENESIS
    for seq, (action, subject, details) in enumerate(events, start=1):
        at = t0 + timedelta(seconds=seq)
        digest = event_hash(
            seq=seq, at=at, actor="tester", action=action, subject=subject, details=details, prev=prev
        )
        rows.append(
            {"seq": seq, "at": at, "actor": "tester", "action": action, "subject": subject,
             "details": details, "prev_hash": prev, "hash": digest}
        )  # fmt: skip
        prev = digest
    engine = sa.create_engine(cat.url)
    with engine.begin() as conn:
        conn.execute(OLD_ITEM.insert(), items)
        conn.execute(OLD_ACQUISITION.insert(), acquisitions)
        conn.execute(OLD_EVENT.insert(), rows)
    engine.dispose()
    return cat


@pytest.fixture(params=_backends())
def old_catalogue(request: pytest.FixtureRequest, tmp_path: Path) -> Catalogue:
    url = None
    if request.param == "postgresql":
        url = pg_url()
        assert url is not None
        reset_postgres(url)
    return _old_catalogue(tmp_path / "old", request.param, url)


def _dump(cat: Catalogue) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables 0001 made, as the database returns them."""
    engine = sa.create_engine(cat.url)
    with engine.connect() as conn:
        dump = {
            table.name: [tuple(row) for row in conn.execute(sa.select(table).order_by(*table.primary_key))]
            for table in (OLD_ITEM, OLD_ACQUISITION, OLD_EVENT)
        }
    engine.dispose()
    return dump


def _revision(cat: Catalogue) -> str | None:
    engine = sa.create_engine(cat.url)
    try:
        return schema.current_revision(engine)
    finally:
        engine.dispose()


def test_alembic_alone_changes_no_row(old_catalogue: Catalogue) -> None:
    before = _dump(old_catalogue)
    assert len(before["event"]) == 6 and len(before["acquisition"]) == 3
    assert schema.upgrade(old_catalogue.url) == ("0001", schema.SCHEMA_HEAD)
    assert _dump(old_catalogue) == before


def test_db_upgrade_keeps_every_row_and_extends_the_old_chain(old_catalogue: Catalogue) -> None:
    cat = old_catalogue
    before = _dump(cat)
    old_head = before["event"][-1]
    result = cat.run("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert f"schema upgraded from 0001 to {schema.SCHEMA_HEAD}" in result.stdout
    after = _dump(cat)
    assert after["item"] == before["item"] and after["acquisition"] == before["acquisition"]
    # the events up to the old head are unchanged; the seal of the records as they stood, then the
    # starter vocabulary's event extend the chain
    assert after["event"][: len(before["event"])] == before["event"]
    added = after["event"][len(before["event"]) :]
    assert [row[3] for row in added] == ["seal", "vocabulary-import"]
    assert added[0][6] == old_head[7]  # it links to the old head's hash
    sealed = json.loads(added[0][5]) if isinstance(added[0][5], str) else added[0][5]
    assert sorted(sealed["records"]) == [
        "acquisition:1",
        "acquisition:2",
        "acquisition:3",
        "item:1",
        "item:2",
    ]
    assert "sealed" in result.stderr
    report = cat.json("verify")
    assert report["ok"] is True, report["problems"]
    assert report["objects_checked"] == 2 and report["events_checked"] == len(after["event"])
    assert len(cat.json("list")["items"]) == 2
    backups = sorted((cat.root / "backups").glob("catalogue-0001-*.sqlite"))
    if cat.backend == "sqlite":
        assert len(backups) == 1 and str(backups[0]) in result.stderr
        with sqlite3.connect(f"file:{backups[0]}?mode=ro", uri=True) as copy:
            assert copy.execute("SELECT version_num FROM alembic_version").fetchall() == [("0001",)]
            assert copy.execute("SELECT count(*) FROM event").fetchone() == (6,)
    else:
        assert backups == []  # PostgreSQL: one transaction; back up with pg_dump
    assert "already current" in cat.ok("db", "upgrade").stdout


@pytest.mark.parametrize("failing", ["0002", "0004"])
def test_a_failed_upgrade_is_rolled_back_and_says_how_to_recover(
    old_catalogue: Catalogue, failing: str
) -> None:
    cat = old_catalogue
    before = _dump(cat)
    result = cat.run("db", "upgrade", env={"EVIDENCE_TEST_MIGRATION_FAIL": failing})
    assert result.exit_code == 4, result.output
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1
    assert f"migration {failing} failed" in line
    assert "rolled back: the catalogue is still at 0001 with all its records" in line
    assert _revision(cat) == "0001" and _dump(cat) == before
    engine = sa.create_engine(cat.url)
    assert not sa.inspect(engine).has_table("frame") and not sa.inspect(engine).has_table("term")
    engine.dispose()
    assert cat.run("list").exit_code == 6  # usable: it says to upgrade
    if cat.backend == "sqlite":
        found = re.search(r"a copy taken before the upgrade is at (\S+\.sqlite) ", line)
        assert found is not None, line
        backup = Path(found.group(1))
        assert backup.parent == cat.root / "backups"
        restore = re.search(r"`(rm -f .* && cp .*)`", line)
        assert restore is not None and str(backup) in restore.group(1)
        subprocess.run(restore.group(1), shell=True, check=True)  # the advice, followed to the letter
        assert _revision(cat) == "0001" and _dump(cat) == before
    else:
        assert "PostgreSQL rolled the whole upgrade back" in line
    upgraded = cat.run("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert _dump(cat)["event"][: len(before["event"])] == before["event"]
    assert cat.json("verify")["ok"] is True


def test_the_failure_hook_is_inert_without_its_variable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'plain.sqlite'}"
    assert schema.upgrade(url) == (None, schema.SCHEMA_HEAD)


def test_no_upgrade_without_a_backup(tmp_path: Path) -> None:
    cat = _old_catalogue(tmp_path / "old", "sqlite", None)
    (cat.root / "backups").write_text("a file where the backups folder should be")
    result = cat.run("db", "upgrade")
    assert result.exit_code == 4, result.output
    assert "could not back up the catalogue before upgrading it" in result.stderr
    assert "nothing was changed" in result.stderr
    assert _revision(cat) == "0001"
