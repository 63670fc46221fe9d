"""`evidence users` and the account use cases: add, list, set, sign in. Every change is one custody
event on the account carrying its new digest, never the password or its hash; a refusal writes
nothing; a disabled account cannot sign in; a session's stamp changes with the password, the role or
the disabled state. On SQLite, and on PostgreSQL when one is configured."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from annotating import events
from conftest import Catalogue
from library import opened
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DBAPIError

from evidence.accounts import users
from evidence.catalogue import custody
from evidence.catalogue.account_models import Account
from evidence.catalogue.engine import Database
from evidence.catalogue.models import Event
from evidence.cli.main import app
from evidence.core.names import Role, may_change
from evidence.errors import NotFound, UsageError

SECRET = "correct horse battery staple"
OTHER = "a different passphrase"


def run(cat: Catalogue, *args: str, stdin: str | None = None) -> Any:
    """A command with this text on its stdin (which is then not a terminal)."""
    return cat.runner.invoke(app, ["--catalogue", str(cat.root), *args], env=cat.env, input=stdin)


def state(cat: Catalogue) -> tuple[int, str, int]:
    """The custody log's head (seq, hash) and how many accounts there are."""
    db = Database(cat.url)
    try:
        with db.read() as session:
            head = custody.head(session)
            assert head is not None
            count = int(session.scalar(select(func.count()).select_from(Account)) or 0)
            return head.seq, head.hash, count
    finally:
        db.dispose()


def stored_passwords(cat: Catalogue) -> list[str]:
    db = Database(cat.url)
    try:
        with db.read() as session:
            return list(session.scalars(select(Account.password).order_by(Account.id)))
    finally:
        db.dispose()


def log_text(cat: Catalogue) -> str:
    """Every custody event as the database holds it, as one text."""
    db = Database(cat.url)
    try:
        with db.read() as session:
            rows = session.scalars(select(Event).order_by(Event.seq))
            return "\n".join(json.dumps([e.actor, e.action, e.subject, e.details]) for e in rows)
    finally:
        db.dispose()


def test_add_list_and_set_through_the_command_line(
    catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    cat = catalogue
    added = run(cat, "users", "add", "Alice", "--role", "analyst", "--password-stdin", stdin=SECRET + "\n")
    assert added.exit_code == 0, added.output
    assert added.stderr.strip() == "account Alice (analyst) added" and added.stdout == ""
    made = json.loads(run(cat, "users", "add", "bob", "--role", "viewer", "--json", stdin=OTHER).stdout)
    assert made["name"] == "bob" and made["role"] == "viewer" and made["disabled"] is False
    assert made["created_by"] == "tester" and made["disabled_at"] is None

    listed = cat.json("users", "list")["accounts"]
    assert [(a["id"], a["name"], a["role"], a["disabled"]) for a in listed] == [
        (1, "Alice", "analyst", False),
        (2, "bob", "viewer", False),
    ]
    assert all("password" not in a and "stamp" not in a for a in listed)
    table = cat.ok("users", "list")
    assert "Alice" in table.stdout and "analyst" in table.stdout and "created by" in table.stdout
    assert "2 accounts" in table.stderr

    changed = run(cat, "users", "set", "ALICE", "--role", "admin", "--disable", "--json")
    assert changed.exit_code == 0, changed.output
    shown = json.loads(changed.stdout)
    assert shown["role"] == "admin" and shown["disabled"] is True and shown["disabled_at"]
    assert "account Alice (admin, disabled) changed" in changed.stderr
    assert run(cat, "users", "set", "alice", "--enable").exit_code == 0
    before = stored_passwords(cat)
    again = run(cat, "users", "set", "bob", "--password-stdin", stdin=SECRET + "\r\n")
    assert again.exit_code == 0, again.output
    assert stored_passwords(cat)[0] == before[0] and stored_passwords(cat)[1] != before[1]

    assert [(e["subject"], e["name"], e["role"]) for e in events(cat, "account-add")] == [
        ("account:1", "Alice", "analyst"),
        ("account:2", "bob", "viewer"),
    ]
    assert [
        (e["subject"], e["changed"], e.get("role"), e.get("disabled")) for e in events(cat, "account-change")
    ] == [
        ("account:1", ["role", "disabled"], "admin", True),
        ("account:1", ["disabled"], None, False),
        ("account:2", ["password"], None, None),
    ]
    digests = events(cat, "account-change", digests=True)
    assert all(list(e["records"]) == [e["subject"]] for e in digests)
    assert cat.json("verify")["ok"] is True

    with opened(cat, monkeypatch) as ws:
        assert users.authenticate(ws, "bob", SECRET) is not None  # the new password (its \r\n taken off)
        assert users.authenticate(ws, "bob", OTHER) is None
        assert users.authenticate(ws, "aLiCe", SECRET) is not None


def test_the_log_holds_no_password_and_no_hash(catalogue: Catalogue) -> None:
    cat = catalogue
    assert run(cat, "users", "add", "carol", "--role", "viewer", stdin=SECRET).exit_code == 0
    assert run(cat, "users", "set", "carol", "--password", stdin=OTHER).exit_code == 0
    assert run(cat, "users", "set", "carol", "--role", "analyst").exit_code == 0
    logged = log_text(cat)
    assert "account-add" in logged and logged.count("account-change") == 2
    assert SECRET not in logged and OTHER not in logged and "scrypt" not in logged
    for stored in stored_passwords(cat):  # nor any part of the stored value: salt or key
        assert stored.startswith("scrypt$")
        assert all(part not in logged for part in stored.split("$")[4:])
    exported = cat.ok("export").stdout + cat.ok("export", "--format", "csv", "--table", "events").stdout
    assert "account-add" in exported and "scrypt" not in exported and SECRET not in exported


def test_a_taken_name_is_refused_ignoring_case_and_nothing_is_written(catalogue: Catalogue) -> None:
    cat = catalogue
    assert run(cat, "users", "add", "dave", "--role", "viewer", stdin=SECRET).exit_code == 0
    before = state(cat)
    for args, stdin, says in [
        (["add", "DAVE", "--role", "admin"], SECRET, "account dave exists"),
        (["add", "Dave", "--role", "viewer", "--password-stdin"], SECRET, "account dave exists"),
        (["add", "eve", "--role", "viewer"], "too short", "at least 10 characters"),
        (["add", "eve", "--role", "viewer"], "", "no password on stdin"),
        (["add", "eve", "--role", "viewer"], "x" * 1025, "at most 1024 characters"),
        (["add", ".eve", "--role", "viewer"], SECRET, "not an account name"),
        (["add", "eve smith", "--role", "viewer"], SECRET, "not an account name"),
        (["add", "e" * 65, "--role", "viewer"], SECRET, "not an account name"),
        (["add", "évé", "--role", "viewer"], SECRET, "not an account name"),
        (["add", "eve", "--role", "root"], SECRET, "'root' is not one of"),
        (["add", "eve"], SECRET, "--role"),
        (["set", "nobody", "--role", "admin"], "", "no account 'nobody'"),
        (["set", "dave"], "", "say what to change"),
        (["set", "dave", "--role", "viewer", "--enable"], "", "already viewer and enabled"),
        (["set", "dave", "--password-stdin"], "short", "at least 10 characters"),
    ]:
        refused = run(cat, "users", *args, stdin=stdin)
        assert refused.exit_code == 2, (args, refused.output)
        assert "Traceback" not in refused.output
        lines = refused.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("evidence: ") and says in lines[0], (args, lines)
        assert state(cat) == before, args


def test_the_terminal_asks_twice_without_echo(catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch) -> None:
    from evidence.cli import users as cli_users

    answers: list[str] = []
    prompts: list[str] = []

    def ask(prompt: str = "") -> str:
        prompts.append(prompt)
        return answers.pop(0)

    monkeypatch.setattr(cli_users, "_terminal", lambda: True)
    monkeypatch.setattr(cli_users.getpass, "getpass", ask)
    before = state(catalogue)
    answers[:] = [SECRET, SECRET + "!"]
    differ = run(catalogue, "users", "add", "frank", "--role", "viewer")
    assert differ.exit_code == 2 and "the two passwords differ" in differ.stderr
    assert state(catalogue) == before
    answers[:] = [SECRET, SECRET]
    assert run(catalogue, "users", "add", "frank", "--role", "viewer").exit_code == 0
    assert prompts[-2:] == ["password for frank: ", "password for frank again: "]
    answers[:] = [OTHER, OTHER]
    assert run(catalogue, "users", "set", "frank", "--password").exit_code == 0
    with opened(catalogue, monkeypatch) as ws:
        assert users.authenticate(ws, "frank", OTHER) is not None
        assert users.authenticate(ws, "frank", SECRET) is None


def test_a_password_line_loses_its_line_ending_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read as the terminal's stdin gives it (no newline translation): a Windows line ending goes too."""
    from evidence.cli import users as cli_users

    for given, read in [
        (SECRET + "\r\n", SECRET),
        (SECRET + "\n", SECRET),
        (SECRET, SECRET),
        (f" {SECRET} \n", f" {SECRET} "),
    ]:
        monkeypatch.setattr(cli_users.sys, "stdin", io.StringIO(given, newline=""))
        assert cli_users.read_password("x", from_stdin=True) == read


def test_sign_in_stamp_and_disabling(catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch) -> None:
    with opened(catalogue, monkeypatch) as ws:
        made = users.add_user(ws, "grace", Role.ANALYST, SECRET, actor="admin@host")
        assert made.role is Role.ANALYST and may_change(made.role) and not may_change(Role.VIEWER)
        assert not hasattr(made, "password") and "scrypt" not in repr(made)
        signed = users.authenticate(ws, "Grace", SECRET)
        assert signed == made and users.account(ws, made.id) == made
        assert users.account(ws, made.id + 1) is None
        assert users.authenticate(ws, "grace", OTHER) is None
        assert users.authenticate(ws, "grace", SECRET + "x" * 2000) is None

        burnt: list[str] = []
        real_burn = users.burn_time
        monkeypatch.setattr(users, "burn_time", burnt.append)
        assert users.authenticate(ws, "nobody", SECRET) is None
        assert users.authenticate(ws, "not a name!", OTHER) is None
        assert burnt == [SECRET, OTHER]  # an unknown name costs a check as a wrong password does
        assert users.authenticate(ws, "grace", OTHER) is None and len(burnt) == 2
        monkeypatch.setattr(users, "burn_time", real_burn)

        stamps = {made.stamp}
        renamed = users.set_user(ws, "grace", role="admin", actor="admin@host")
        assert renamed.role is Role.ADMIN and renamed.stamp not in stamps
        stamps.add(renamed.stamp)
        new_password = users.set_user(ws, "grace", password=OTHER, actor="admin@host")
        assert new_password.stamp not in stamps and len(new_password.stamp) == 16
        stamps.add(new_password.stamp)
        same_again = users.set_user(ws, "grace", password=OTHER, actor="admin@host")
        assert same_again.stamp not in stamps  # a fresh salt: sessions end even for the same password
        stamps.add(same_again.stamp)
        assert users.account(ws, made.id) == same_again  # read back, the same stamp

        off = users.set_user(ws, "grace", disabled=True, actor="admin@host")
        assert off.disabled and off.stamp not in stamps
        stamps.add(off.stamp)
        assert users.authenticate(ws, "grace", OTHER) is None  # the right password, a disabled account
        on = users.set_user(ws, "grace", disabled=False, actor="admin@host")
        assert not on.disabled and on.stamp not in stamps
        assert users.authenticate(ws, "grace", OTHER) == on
        assert [a.name for a in users.list_users(ws)] == ["grace"]

        with pytest.raises(NotFound):
            users.set_user(ws, "heidi", role="viewer", actor="admin@host")
        with pytest.raises(UsageError, match="nothing to change"):
            users.set_user(ws, "grace", disabled=False, actor="admin@host")
        with pytest.raises(UsageError, match="no role"):
            users.add_user(ws, "heidi", "owner", SECRET, actor="admin@host")
        with pytest.raises(UsageError, match="exists"):
            users.add_user(ws, "GRACE", "viewer", SECRET, actor="admin@host")
    assert catalogue.json("verify")["ok"] is True


def test_an_account_is_never_removed_and_its_identity_never_changes(catalogue: Catalogue) -> None:
    """The triggers refuse a DELETE and an UPDATE of the name or the creation; a change of the role,
    password or disabled time made around evidence is caught by `verify`."""
    assert run(catalogue, "users", "add", "ivan", "--role", "viewer", stdin=SECRET).exit_code == 0
    engine = create_engine(catalogue.url)
    try:
        for statement in (
            "DELETE FROM account",
            "UPDATE account SET name = 'mallory'",
            "UPDATE account SET created_by = 'mallory'",
            "UPDATE account SET id = 7",
        ):
            with pytest.raises(DBAPIError) as raised, engine.begin() as conn:
                conn.execute(text(statement))
            assert "append-only" in str(raised.value.orig), statement
        with engine.begin() as conn:
            conn.execute(text("UPDATE account SET role = 'admin'"))
    finally:
        engine.dispose()
    result = catalogue.run("verify", "--json")
    assert result.exit_code == 5, result.output
    problems = json.loads(result.stdout)["problems"]
    assert [(p["kind"], p["subject"]) for p in problems] == [("record-edited", "account:1")]
    assert "account 1 no longer matches" in problems[0]["message"]
