"""Helpers for the tamper tests: change a catalogue the way someone holding its database or store could."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import Catalogue
from sqlalchemy import create_engine, text

from evidence.catalogue import custody
from evidence.catalogue.engine import Database
from evidence.core.custody import ChainRecord, event_hash

Statement = tuple[str, dict[str, Any]]


def tamper(cat: Catalogue, statements: list[Statement]) -> None:
    """Run SQL on the catalogue as someone who holds the database file or a superuser login would."""
    if cat.backend == "sqlite":
        conn = sqlite3.connect(cat.root / "catalogue.sqlite")
        triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
        assert triggers, "the append-only triggers should be there before we go around them"
        for name, _sql in triggers:
            conn.execute(f"DROP TRIGGER {name}")
        for sql, params in statements:
            conn.execute(sql, params)
        for _name, sql in triggers:
            conn.execute(sql)
        conn.commit()
        conn.close()
        return
    engine = create_engine(cat.url)
    with engine.begin() as conn:
        query = text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = list(conn.execute(query).scalars())
        for table in tables:
            conn.execute(text(f'ALTER TABLE "{table}" DISABLE TRIGGER USER'))
        for sql, params in statements:
            conn.execute(text(sql), params)
        for table in tables:
            conn.execute(text(f'ALTER TABLE "{table}" ENABLE TRIGGER USER'))
    engine.dispose()


def chain(cat: Catalogue) -> list[ChainRecord]:
    db = Database(cat.url)
    try:
        with db.read() as session:
            return list(custody.records(session))
    finally:
        db.dispose()


def rewrite(
    cat: Catalogue, seq: int, change: Callable[[ChainRecord], dict[str, Any]], *, relink: bool = True
) -> None:
    """Rewrite event `seq`'s details and recompute its hash and every later one, so that the chain
    by itself walks cleanly: what a careful forger with the database would do. With `relink` False,
    only event `seq`'s own hash is recomputed: the event after it still names the old one."""
    records = chain(cat)
    statements: list[Statement] = []
    prev = records[seq - 2].hash if seq > 1 else "0" * 64
    for rec in records[seq - 1 :]:
        details = change(rec) if rec.seq == seq else rec.details
        digest = event_hash(
            seq=rec.seq,
            at=rec.at,
            actor=rec.actor,
            action=rec.action,
            subject=rec.subject,
            details=details,
            prev=prev,
            host=rec.host,
        )
        body = json.dumps(details, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        statements.append(
            (
                "UPDATE event SET details = :d, prev_hash = :p, hash = :h WHERE seq = :s",
                {"d": body, "p": prev, "h": digest, "s": rec.seq},
            )
        )
        prev = digest
        if not relink:
            break
    tamper(cat, statements)


def seq_of(cat: Catalogue, action: str) -> int:
    return next(r.seq for r in chain(cat) if r.action == action)


def fill(catalogue: Catalogue) -> dict[str, Any]:
    """Three files, a tag (and a withdrawn one), a claim, a description."""
    for i in range(3):
        (catalogue.home / f"f{i}.txt").write_text(f"file {i}\n" * 50)
    added = catalogue.json(
        "add", *(catalogue.home / f"f{i}.txt" for i in range(3)), "--source-url", "https://example.org/p"
    )
    shas = [r["sha256"] for r in added["results"]]
    tag = catalogue.json("tag", "1", "helmet", "--note", "left of frame", "--confidence", "0.7")
    gone = catalogue.json("tag", "1", "compass")
    catalogue.ok("untag", str(gone["id"]), "--note", "wrong")
    claim = catalogue.json("claim", "1", "2", "--by", "Agency", "--text", "Five killed", "--place", "Palmyra")
    described = catalogue.json("describe", "2", "helmet", "--source", "caption")
    assert catalogue.json("verify")["ok"] is True
    return {
        "shas": shas,
        "tag": tag["id"],
        "withdrawn": gone["id"],
        "claim": claim["id"],
        "description": described["description"],
    }


def object_path(cat: Catalogue, sha: str) -> Path:
    return cat.root / "store" / "objects" / sha[:2] / sha[2:4] / sha


def edit_actor(seq: int) -> list[Statement]:
    return [("UPDATE event SET actor = 'mallory' WHERE seq = :s", {"s": seq})]


def current_digests(cat: Catalogue, refs: list[tuple[str, int]]) -> dict[str, str]:
    """The digests of these records as they now are: what a forger would write into the events."""
    from evidence.catalogue import record_state

    db = Database(cat.url)
    try:
        with db.read() as session:
            return record_state.digests_of(session, refs)
    finally:
        db.dispose()
