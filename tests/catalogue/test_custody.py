"""The custody log: append-only, hash-chained, and tampering is detected."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from conftest import Catalogue
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

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
    """What an attacker holding the database can do: go around the triggers."""
    if catalogue.backend == "sqlite":
        conn = sqlite3.connect(catalogue.root / "catalogue.sqlite")
        conn.execute("DROP TRIGGER event_append_only_update")
        conn.execute("DROP TRIGGER event_append_only_delete")
        for statement in statements:
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
