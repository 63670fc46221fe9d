"""The custody log: append-only, hash-chained, and tampering is detected."""

from __future__ import annotations

import hashlib
import json
import socket
import sqlite3
from datetime import UTC, datetime

import pytest
from conftest import Catalogue, reset_postgres
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from test_migrations import OLD_EVENT

from evidence.catalogue import schema
from evidence.core.custody import GENESIS, ChainRecord, event_hash, walk_chain


def _chain(n: int) -> list[ChainRecord]:
    records, prev = [], GENESIS
    for seq in range(1, n + 1):
        at = datetime(2026, 1, 1, 12, 0, seq, tzinfo=UTC)
        details = {"n": seq, "text": "ünïcode ✓"}
        digest = event_hash(seq=seq, at=at, actor="a", action="x", subject="s", details=details, prev=prev)
        records.append(ChainRecord(seq, at, "a", "x", "s", details, prev, digest))
        prev = digest
    return records


def test_a_clean_chain_walks_clean() -> None:
    assert list(walk_chain(_chain(5))) == []


def test_edited_deleted_reordered_rows_are_found() -> None:
    chain = _chain(5)
    edited = list(chain)
    r = edited[2]
    edited[2] = ChainRecord(r.seq, r.at, r.actor, r.action, r.subject, {"n": 999}, r.prev_hash, r.hash)
    assert {(p.seq, p.kind) for p in walk_chain(edited)} == {(3, "edited")}
    deleted = chain[:2] + chain[3:]
    assert {p.kind for p in walk_chain(deleted)} == {"gap", "broken-link"}
    reordered = [chain[0], chain[2], chain[1], *chain[3:]]
    assert "broken-link" in {p.kind for p in walk_chain(reordered)}


# fixed inputs of the hashing rule, and the digests it gives them
GOLDEN = {
    "seq": 7,
    "at": datetime(2026, 3, 14, 15, 9, 26, 535897, tzinfo=UTC),
    "actor": "alice",
    "action": "tag",
    "subject": "item:3",
    "details": {"term": "protest", "text": "ünïcode ✓"},
    "prev": "ab" * 32,
}
# computed by the code of before events named their host: every event made then still hashes so
GOLDEN_WITHOUT_HOST = "70f6c1f22d6ce2ab644b7d80a7c0f0a2e82ecd115a7f61c4dff63d4db4b58d73"
GOLDEN_ON_WS3 = "42992734ddff231ca460fd5731d128f671aa321aaa794e501b5c0f6090697d5a"


def test_the_hashing_rule_gives_the_golden_digests() -> None:
    assert event_hash(**GOLDEN) == GOLDEN_WITHOUT_HOST  # type: ignore[arg-type]
    assert event_hash(**GOLDEN, host=None) == GOLDEN_WITHOUT_HOST  # type: ignore[arg-type]
    assert event_hash(**GOLDEN, host="ws-3") == GOLDEN_ON_WS3  # type: ignore[arg-type]


def test_a_chain_record_s_host_is_covered() -> None:
    at, details = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC), {"n": 1}
    digest = event_hash(
        seq=1, at=at, actor="a", action="x", subject="s", details=details, prev=GENESIS, host="ws-3"
    )
    made = ChainRecord(1, at, "a", "x", "s", details, GENESIS, digest, host="ws-3")
    assert list(walk_chain([made])) == []
    for host in ("ws-4", None):  # another machine, or none (hashed by the rule of before hosts)
        edited = ChainRecord(1, at, "a", "x", "s", details, GENESIS, digest, host=host)
        assert [(p.seq, p.kind) for p in walk_chain([edited])] == [(1, "edited")]


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        event_hash(
            seq=1, at=datetime(2026, 1, 1), actor="a", action="x", subject="s", details={}, prev=GENESIS
        )


def _add_some(catalogue: Catalogue) -> None:
    for i in range(3):
        (catalogue.home / f"f{i}.txt").write_text(f"file {i}")
    catalogue.ok("add", *(catalogue.home / f"f{i}.txt" for i in range(3)))


def test_database_refuses_update_and_delete(catalogue: Catalogue) -> None:
    _add_some(catalogue)
    engine = create_engine(catalogue.url)
    for statement in ("UPDATE event SET actor = 'mallory' WHERE seq = 2", "DELETE FROM event WHERE seq = 2"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    engine.dispose()
    assert catalogue.json("verify")["ok"] is True


def _tamper(catalogue: Catalogue, statements: list[str]) -> None:
    """What an attacker holding the database can do: go around the triggers (and put them back)."""
    if catalogue.backend == "sqlite":
        conn = sqlite3.connect(catalogue.root / "catalogue.sqlite")
        names = ("event_append_only_update", "event_append_only_delete")
        triggers = [
            conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (n,)).fetchone()[0] for n in names
        ]
        for name in names:
            conn.execute(f"DROP TRIGGER {name}")
        for statement in [*statements, *triggers]:
            conn.execute(statement)
        conn.commit()
        conn.close()
        return
    engine = create_engine(catalogue.url)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE event DISABLE TRIGGER USER"))
        for statement in statements:
            conn.execute(text(statement))
        conn.execute(text("ALTER TABLE event ENABLE TRIGGER USER"))
    engine.dispose()


@pytest.mark.parametrize(
    ("statements", "kinds"),
    [
        (["UPDATE event SET actor = 'mallory' WHERE seq = 3"], {"chain-edited"}),
        (["DELETE FROM event WHERE seq = 3"], {"chain-gap", "chain-broken-link"}),
        (
            [
                "UPDATE event SET seq = 1000 WHERE seq = 3",
                "UPDATE event SET seq = 3 WHERE seq = 4",
                "UPDATE event SET seq = 4 WHERE seq = 1000",
            ],
            {"chain-edited", "chain-broken-link"},
        ),
    ],
    ids=["edited", "deleted", "reordered"],
)
def test_verify_finds_tampered_custody_rows(
    catalogue: Catalogue, statements: list[str], kinds: set[str]
) -> None:
    _add_some(catalogue)
    _tamper(catalogue, statements)
    report = catalogue.json("verify", code=5)
    assert report["ok"] is False
    found = {p["kind"] for p in report["problems"]}
    assert found & kinds and found <= kinds | {"chain-edited", "chain-gap", "chain-broken-link"}
    assert any(p["subject"] == "event:3" or p["subject"] == "event:4" for p in report["problems"])


def _hosts(catalogue: Catalogue) -> list[str | None]:
    engine = create_engine(catalogue.url)
    with engine.connect() as conn:
        hosts = list(conn.execute(text("SELECT host FROM event ORDER BY seq")).scalars())
    engine.dispose()
    return hosts


def test_every_event_names_its_host_and_the_hash_covers_it(catalogue: Catalogue) -> None:
    _add_some(catalogue)
    hosts = _hosts(catalogue)
    assert len(hosts) >= 5 and set(hosts) == {socket.gethostname()}
    shown = catalogue.json("show", "1")["events"]
    assert shown and {e["host"] for e in shown} == {socket.gethostname()}
    assert catalogue.json("verify")["ok"] is True
    engine = create_engine(catalogue.url)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE event SET host = 'ws-forged' WHERE seq = 3"))
    engine.dispose()
    for forged in ("'ws-forged'", "NULL"):  # another machine, or none (the rule of before hosts)
        _tamper(catalogue, [f"UPDATE event SET host = {forged} WHERE seq = 3"])
        report = catalogue.json("verify", code=5)
        assert [(p["kind"], p["subject"]) for p in report["problems"]] == [("chain-edited", "event:3")]
        _tamper(catalogue, [f"UPDATE event SET host = '{socket.gethostname()}' WHERE seq = 3"])
        assert catalogue.json("verify")["ok"] is True


EVENT_0010 = OLD_EVENT  # the event table as schemas before 0011 had it: no host


def _hash_of_0010(row: dict[str, object], prev: str) -> str:
    """The hashing rule as schema 0010's code applied it (no host), written out here, apart from the
    code under test."""
    body = {**row, "at": "2026-12-09T08:00:00.123456Z", "prev": prev}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_events_made_before_hosts_verify_after_db_upgrade(catalogue: Catalogue) -> None:
    """A catalogue at schema 0010 whose events, written by that schema's code, have no host: `evidence
    db upgrade` brings it to the head (0011 or later), its events verify by the rule of their time (host
    NULL), and the events made after it name their host."""
    cat = catalogue
    if cat.backend == "postgresql":
        reset_postgres(cat.url)
    else:
        for name in ("catalogue.sqlite", "catalogue.sqlite-wal", "catalogue.sqlite-shm"):
            (cat.root / name).unlink(missing_ok=True)
    assert schema.upgrade(cat.url, "0010") == (None, "0010")
    rows, prev = [], GENESIS
    at = datetime(2026, 12, 9, 8, 0, 0, 123456, tzinfo=UTC)
    for seq, (action, details) in enumerate(
        [("init", {"tool": "evidence 0.1", "schema": "0010"}), ("verify", {"ok": True, "events_checked": 1})],
        start=1,
    ):
        row = {
            "seq": seq,
            "at": at,
            "actor": "tester",
            "action": action,
            "subject": "catalogue",
            "details": details,
        }
        digest = _hash_of_0010(row, prev)
        rows.append({**row, "prev_hash": prev, "hash": digest})
        prev = digest
    engine = create_engine(cat.url)
    with engine.begin() as conn:
        conn.execute(EVENT_0010.insert(), rows)
    engine.dispose()
    assert cat.run("list").exit_code == 6  # the tool asks for the upgrade
    assert f"schema upgraded from 0010 to {schema.SCHEMA_HEAD}" in cat.ok("db", "upgrade").stdout
    assert _hosts(cat) == [None, None]
    report = cat.json("verify")
    assert report["ok"] is True and report["events_checked"] == 2
    _add_some(cat)
    hosts = _hosts(cat)
    assert hosts[:2] == [None, None] and set(hosts[2:]) == {socket.gethostname()}
    assert cat.json("verify")["ok"] is True
