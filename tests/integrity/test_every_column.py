"""Every column of every record table, edited behind the tool's back, fails `verify` (exit 5) naming the
record; on PostgreSQL also as the application role from `evidence db roles`, which the database refuses
for every column except the few evidence itself updates (and those `verify` then catches).

Records are checked against the digest of their state that the newest custody event recording them
carries; an item's frames and fingerprints against the digest in its analysis event; a custody event
(`event`, its host included) against its own hash and its place in the chain (deletions, reorderings
and forged histories have their own tests: test_tamper.py, test_anchor.py). The edits are made as
someone holding the database would: triggers and foreign keys switched off (SQLite: a plain connection
without `foreign_keys`, triggers dropped and re-made; PostgreSQL: a superuser in replica mode). What
is not covered here, and why: `alembic_version` makes every command refuse with exit 6; the similarity
index (`hash_band`) is derived from the fingerprints and is checked by `verify --deep`
(test_verify_deep.py); `analysis_job` is the job queue's progress, not a record (what a job does is
the item's analysis and its events, covered here).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from c2pasign import garbled, sign
from conftest import PG_ENV, Catalogue, _initialised, pg_url, reset_postgres
from mediagen import make_image, make_video
from pgrole import as_role, throwaway_role
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Float,
    Integer,
    LargeBinary,
    String,
    Table,
    create_engine,
    select,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError
from textread import need_tesseract, tesseract_reads
from website import serving

from evidence.catalogue import roles
from evidence.catalogue.base import JSONText, UTCDateTime
from evidence.catalogue.models import Base
from evidence.cli.main import app

RECORD_TABLES = (
    "item",
    "acquisition",
    "term",
    "term_alias",
    "annotation",
    "withdrawal",
    "claimant",
    "place",
    "claim",
    "claim_item",
    "description",
    "relation",
    "relation_decision",
    "case_file",
    "case_item",
    "capture",
    "capture_media",
    "account",
    "hash_list",
    "frame_text",
    "content_credential",
)
DERIVED_TABLES = ("frame", "fingerprint", "frame_descriptor")
LOG_TABLES = ("event",)  # checked by the chain: each event's hash covers every column but its own
FRAME_DEPENDENTS = ("fingerprint", "frame_descriptor")
# how verify names a record of each table (its key's kind)
KIND = {
    "term_alias": "alias",
    "annotation": "tag",
    "relation_decision": "decision",
    "claim_item": "claim",
    "case_file": "case",
}

# columns an edit of which changes nothing a person or the matcher reads, and why
NOT_MATTERING = {
    ("fingerprint", "id"): "a surrogate key: nothing shown or matched reads it but the similarity index, "
    "whose rows `verify --deep` compares with the fingerprints",
    ("frame_descriptor", "id"): "a surrogate key: the descriptor search reads the rows in its order only",
}
CASES = [
    (table, column.name)
    for table in (*RECORD_TABLES, *DERIVED_TABLES, *LOG_TABLES)
    for column in Base.metadata.tables[table].columns
    if (table, column.name) not in NOT_MATTERING
]


def _build(cat: Catalogue, tmp: Path) -> None:
    """A catalogue where every record table has rows, with every optional column used somewhere."""
    clip = make_video(tmp / "clip.mp4", seconds=3.0, fps=10, size=(160, 96), scenes=2)
    photo = make_image(tmp / "photo.jpg", size=(160, 120))
    note = tmp / "note.txt"
    note.write_text("a tip\n")
    cat.ok("add", clip, "--source-url", "https://example.org/1", "--posted-at", "2016-03-24",
           "--claimed-by", "Agency", "--collected-by", "tester", "--note", "first")  # fmt: skip
    cat.ok("add", photo, "--posted-at", "2016-03-25T10:00Z")
    cat.ok("add", note)
    (tmp / "other.txt").write_text("another tip\n")
    cat.ok("add", tmp / "other.txt")
    cat.ok("terms", "add", "weapon › small arms › rifle › AK-99", "--alias", "АК-99", "--language", "ru")
    cat.ok("terms", "move", "AK-99", "weapon")
    cat.ok("tag", "1", "helmet", "--at", "1", "--box", "10,10,40,30", "--note", "left", "--confidence", "0.8")
    cat.ok("tag", "1", "compass", "--range", "0.5-2")
    cat.ok("untag", "2", "--note", "wrong")
    cat.ok("claim", "1", "2", "--by", "Agency", "--text", "Five killed", "--date", "2016-03-24",
           "--place", "Palmyra", "--lat", "34.55", "--lon", "38.27", "--precision", "town",
           "--url", "https://agency.example/p", "--language", "ru", "--shows", "AK-99")  # fmt: skip
    cat.ok("claim", "1", "--by", "Spokesman", "--text", "Not confirmed", "--counters", "1",
           "--said-on", "2016-03-26")  # fmt: skip
    cat.ok("describe", "2", "helmet", "--source", "caption", "--note", "seen", "--claim", "1")
    cat.ok("case", "new", "Palmyra, March 2016", "--note", "the Amaq claim")
    cat.ok("case", "add", "1", "1", "2", "--note", "the clip and its photo")
    cat.ok("case", "new", "Aleppo")  # another case for a membership to be moved to
    cat.ok("relate", "1", "2", "--confirm", "--as", "contains", "--note", "checked")
    cat.ok("relate", "1", "3", "--reject", "--as", "duplicate")
    cat.ok("relate", "1", "2", "--reject", "--note", "on second thoughts")
    with serving() as site:  # a capture of a page holding the clip, from a site on 127.0.0.1
        site.file("/clip.mp4", clip, "video/mp4")
        site.page("/post", '<html><body><video src="/clip.mp4"></video></body></html>')
        captured = cat.run("capture", site.url("/post"), "--collected-by", "tester", "--note", "the post",
                           "--no-analysis", env={"EVIDENCE_CHROMIUM": "/nonexistent"})  # fmt: skip
        assert captured.exit_code == 0, captured.output
        again = cat.run("capture", site.url("/clip.mp4"), "--no-analysis")  # another, for references
        assert again.exit_code == 0, again.output
    for args, password in [
        (("add", "alice", "--role", "viewer"), "correct horse battery"),
        (("add", "bob", "--role", "analyst"), "another long password"),
        (("set", "alice", "--role", "analyst", "--password-stdin", "--disable"), "a changed password"),
    ]:
        made = cat.runner.invoke(
            app, ["--catalogue", str(cat.root), "users", *args], env=cat.env, input=password
        )
        assert made.exit_code == 0, made.output
    listed = tmp / "partner.vpdq"  # a partner's list of one video's frames, loaded as known content
    listed.write_text("0,100," + "ab" * 32 + ",0.000\n25,90," + "cd" * 32 + ",1.000\n")
    cat.ok("hashes", "import", listed, "--list", "partner", "--label", "their-clip.mp4", "--note", "sent")
    if tesseract_reads("eng"):  # text read in a frame, asked for (kept even where it holds none)
        read = cat.run("ocr", "1", "--at", "0.5", env={"EVIDENCE_OCR_LANGUAGES": "eng"})
        assert read.exit_code == 0, read.output
    signed = sign(make_image(tmp / "c2pa.jpg", size=(96, 64), seed=5), tmp / "signed.jpg", ingredient=photo)
    cat.ok("add", signed, garbled(signed, tmp / "garbled.jpg"))  # content credentials, and a problem
    assert cat.json("verify")["ok"] is True


@contextmanager
def around_the_tool(cat: Catalogue) -> Iterator[Connection]:
    """A connection that goes around triggers and foreign keys, as the holder of the database can."""
    engine = create_engine(cat.url)  # a plain engine: SQLite without `PRAGMA foreign_keys`
    try:
        with engine.begin() as conn:
            if cat.backend == "postgresql":
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                yield conn
                return
            triggers = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
            for name, _sql in triggers:
                conn.execute(text(f"DROP TRIGGER {name}"))
            yield conn
            for _name, sql in triggers:
                conn.execute(text(sql))
    finally:
        engine.dispose()


def _candidates(conn: Connection, table: Table, column: Column[Any], value: Any) -> Iterator[Any]:
    """Values to put in place of `value`, most plausible first (another row's id for a reference)."""
    for fk in column.foreign_keys:
        target = fk.column
        others = conn.execute(select(target).where(target != value).order_by(target)).scalars().all()
        yield from others
        return
    kind = column.type
    if column.primary_key and isinstance(kind, Integer):
        yield value + 100_000
    elif isinstance(kind, Boolean):
        yield not value
    elif isinstance(kind, Integer):
        for step in (1, 2, 3, 7):
            yield (value or 0) + step
    elif isinstance(kind, Float):
        for step in (0.25, -0.25, 0.05):
            yield (value or 0.0) + step
    elif isinstance(kind, UTCDateTime):
        yield (value or datetime(2020, 1, 1, tzinfo=UTC)) + timedelta(days=1)
    elif isinstance(kind, JSONText):
        yield {**value, "forged": True} if isinstance(value, dict) else {"forged": True}
    elif isinstance(kind, LargeBinary):
        yield b"forged"
    elif isinstance(kind, String):  # Text too
        if value in ("confirmed", "rejected"):
            yield "confirmed" if value == "rejected" else "rejected"
        text_value = value or ""
        limit = getattr(kind, "length", None)
        for extra in ("x", "y", "0"):
            forged = text_value + extra
            yield forged if limit is None or len(forged) <= limit else text_value[:-1] + extra
    else:
        raise AssertionError(f"no edit for {table.name}.{column.name} ({kind!r})")


def _edit(cat: Catalogue, table_name: str, column_name: str) -> tuple[dict[str, Any], Any, Any]:
    """Change one column of a row of the table (the first one the database's unique and check
    constraints let change); returns the row's key columns, the old and the new value."""
    table = Base.metadata.tables[table_name]
    column = table.c[column_name]
    with around_the_tool(cat) as conn:
        for row in conn.execute(select(table).order_by(*table.primary_key).limit(5)).mappings().all():
            key = {c.name: row[c.name] for c in table.primary_key}
            old = row[column_name]
            for new in _candidates(conn, table, column, old):
                where = [table.c[k] == v for k, v in key.items()]
                savepoint = conn.begin_nested()
                try:
                    conn.execute(update(table).where(*where).values({column_name: new}))
                except DBAPIError:  # a unique or check constraint the database will not let go of
                    savepoint.rollback()
                    continue
                savepoint.commit()
                return key, old, new
    raise AssertionError(f"could not change {table_name}.{column_name}")


def _restore(
    cat: Catalogue, table_name: str, column_name: str, key: dict[str, Any], old: Any, new: Any
) -> None:
    table = Base.metadata.tables[table_name]
    now = {**key, column_name: new} if column_name in key else key
    with around_the_tool(cat) as conn:
        conn.execute(
            update(table).where(*[table.c[k] == v for k, v in now.items()]).values({column_name: old})
        )


def _shas(cat: Catalogue) -> dict[int, str]:
    engine = create_engine(cat.url)
    try:
        with engine.connect() as conn:
            return {i: sha for i, sha in conn.execute(text("SELECT id, sha256 FROM item"))}
    finally:
        engine.dispose()


def _named(table: str, key: dict[str, Any], column: str, new: Any, shas: dict[int, str]) -> set[str]:
    """The subjects of which verify must name at least one: the record edited (for a claim's items, the
    claim; for an item, by the sha256 it was preserved under)."""
    if table == "claim_item":
        return {f"claim:{key['claim_id']}"} | ({f"claim:{new}"} if column == "claim_id" else set())
    if table == "item":
        return {f"item:{shas[key['id']]}"}
    if table == "event":  # the event, or the next one (whose link it breaks), or where it was moved
        return {f"event:{key['seq']}", f"event:{key['seq'] + 1}"} | (
            {f"event:{new}"} if column == "seq" else set()
        )
    return {f"{KIND.get(table, table)}:{key['id']}"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Catalogue:
    if request.param == "postgresql" and pg_url() is None:
        pytest.skip(f"no PostgreSQL server configured (set {PG_ENV} to run these)")
    url = pg_url() if request.param == "postgresql" else None
    if url is not None:
        reset_postgres(url)
    tmp = tmp_path_factory.mktemp(f"every-column-{request.param}")
    cat = _initialised(tmp / "case", request.param, url)
    _build(cat, tmp)
    return cat


@pytest.mark.slow
@pytest.mark.parametrize(("table", "column"), CASES, ids=[f"{t}.{c}" for t, c in CASES])
def test_an_edit_of_any_column_fails_verify_naming_the_record(
    built: Catalogue, table: str, column: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if table == "frame_text":
        need_tesseract(monkeypatch, "eng")
    shas = _shas(built)
    head = _head(built)
    key, old, new = _edit(built, table, column)
    try:
        result = built.run("verify", "--json")
        assert result.exit_code == 5, (table, column, result.output)
        problems = json.loads(result.stdout)["problems"]
        if table in DERIVED_TABLES:
            assert {p["kind"] for p in problems} & {"derived-edited", "derived-missing"}, problems
        else:
            named = _named(table, key, column, new, shas)
            assert {p["subject"] for p in problems} & named, (named, problems)
    finally:
        _restore(built, table, column, key, old, new)
        if table in LOG_TABLES:  # the `verify` event logged after the edit may link to the edited head
            with around_the_tool(built) as conn:
                conn.execute(text("DELETE FROM event WHERE seq > :h"), {"h": head})
    assert built.json("verify")["ok"] is True


def _head(cat: Catalogue) -> int:
    engine = create_engine(cat.url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT max(seq) FROM event")).scalar_one())
    finally:
        engine.dispose()


@pytest.fixture
def app_role(built: Catalogue) -> Iterator[str]:
    """A role for this run only, set up with `evidence db roles` (roles belong to the whole server)."""
    if built.backend != "postgresql":
        pytest.skip("database roles are a PostgreSQL feature")
    with throwaway_role(built.url, "evidence_test_cols") as name:
        built.ok("db", "roles", "--app-role", name)
        yield name


REFUSALS = ("permission denied", "append-only")


@pytest.mark.slow
def test_the_app_role_cannot_edit_a_record_unseen(built: Catalogue, app_role: str) -> None:
    """As the application role every UPDATE of a record column and every DELETE is refused by the
    database, except the columns evidence itself updates and the derived data it re-makes; each of
    those edits fails `verify` naming the record."""
    app_url = as_role(built.url, app_role)
    app_engine = create_engine(app_url)
    outcome: dict[str, list[str]] = {"refused": [], "detected": []}
    try:
        deletable = (*RECORD_TABLES, *DERIVED_TABLES, *LOG_TABLES)
        for table_name, column_name in [*CASES, *((t, "DELETE") for t in deletable)]:
            table = Base.metadata.tables[table_name]
            shas = _shas(built)
            with around_the_tool(built) as owner:
                row = owner.execute(select(table).order_by(*table.primary_key).limit(1)).mappings().one()
                key = {c.name: row[c.name] for c in table.primary_key}
                where = [table.c[k] == v for k, v in key.items()]
                # a frame's fingerprints and descriptors go with it (ON DELETE CASCADE)
                dependents = [
                    (name, dependent)
                    for name in (FRAME_DEPENDENTS if table_name == "frame" else ())
                    for dependent in owner.execute(
                        select(Base.metadata.tables[name]).where(
                            Base.metadata.tables[name].c.frame_id == row["id"]
                        )
                    ).mappings()
                ]
                if column_name == "DELETE":
                    attempts: list[Any] = [table.delete().where(*where)]
                else:
                    column = table.c[column_name]
                    values = list(_candidates(owner, table, column, row[column_name]))
                    attempts = [update(table).where(*where).values({column_name: v}) for v in values]
            done = None
            for statement in attempts:
                try:
                    with app_engine.begin() as conn:
                        conn.execute(statement)
                except DBAPIError as exc:
                    if any(r in str(exc.orig) for r in REFUSALS):
                        break
                    continue  # a unique or check constraint: try another value
                done = statement
                break
            case = f"{table_name}.{column_name}"
            if done is None:
                outcome["refused"].append(case)
                continue
            result = built.run("verify", "--json", env={"EVIDENCE_DATABASE_URL": app_url})
            problems = json.loads(result.stdout)["problems"] if result.stdout else []
            if table_name in DERIVED_TABLES:
                named = {p["kind"] for p in problems} & {"derived-edited", "derived-missing"}
            else:
                new = None if column_name == "DELETE" else done.compile().params.get(column_name)
                named = {p["subject"] for p in problems} & _named(table_name, key, column_name, new, shas)
            assert result.exit_code == 5 and named, (case, result.output)
            outcome["detected"].append(case)
            _put_back(built, table, row, dependents)
            assert built.json("verify")["ok"] is True, case
    finally:
        app_engine.dispose()
    print(f"app role: {len(outcome['refused'])} edits refused, {len(outcome['detected'])} allowed and caught")
    # the app role may change only what evidence changes (derived data and the documented columns)
    allowed = {f"{t}.{c}" for t, columns in roles.UPDATABLE.items() for c in columns}
    allowed |= {f"{t}.{c.name}" for t in DERIVED_TABLES for c in Base.metadata.tables[t].columns}
    allowed |= {f"{t}.DELETE" for t in DERIVED_TABLES}
    assert set(outcome["detected"]) <= allowed, sorted(set(outcome["detected"]) - allowed)
    assert len(outcome["refused"]) + len(outcome["detected"]) == len(CASES) + len(deletable)


def _put_back(cat: Catalogue, table: Table, row: Any, dependents: list[tuple[str, Any]]) -> None:
    """Restore a row exactly as it was (re-inserted if it was deleted, with the fingerprints and
    descriptors that went with a deleted frame)."""
    key = {c.name: row[c.name] for c in table.primary_key}
    with around_the_tool(cat) as conn:
        where = [table.c[k] == v for k, v in key.items()]
        if conn.execute(select(table).where(*where)).first() is None:
            conn.execute(table.insert().values(dict(row)))
        else:
            conn.execute(update(table).where(*where).values(dict(row)))
        for name, dependent in dependents:
            owned = Base.metadata.tables[name]
            if conn.execute(select(owned.c.id).where(owned.c.id == dependent["id"])).first() is None:
                conn.execute(owned.insert().values(dict(dependent)))
