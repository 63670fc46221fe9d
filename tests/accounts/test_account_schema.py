"""The `account` table across schema 0010: `evidence db upgrade` brings it to a catalogue made before it,
and on PostgreSQL the application role from `evidence db roles` manages accounts (their role, password
and disabled time) but can neither rename nor remove one."""

from __future__ import annotations

import pytest
from alembic import command
from conftest import Catalogue
from pgrole import app_role as app_role
from pgrole import as_role, needs_postgres
from pgrole import pg_catalogue as pg_catalogue
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import ProgrammingError

from evidence.catalogue import roles, schema
from evidence.cli.main import app

SECRET = "correct horse battery staple"


def users(cat: Catalogue, *args: str, stdin: str = "", env: dict[str, str] | None = None) -> str:
    result = cat.runner.invoke(
        app, ["--catalogue", str(cat.root), "users", *args], env={**cat.env, **(env or {})}, input=stdin
    )
    assert result.exit_code == 0, (args, result.output)
    return str(result.stdout)


def test_db_upgrade_brings_accounts_to_a_catalogue_of_schema_0009(catalogue: Catalogue) -> None:
    cat = catalogue
    (cat.home / "a.txt").write_text("kept across the upgrade")
    cat.ok("add", cat.home / "a.txt", "--no-analysis")
    command.downgrade(schema.alembic_config(cat.url), "0009")  # type: ignore[arg-type]
    engine = create_engine(cat.url)
    assert not inspect(engine).has_table("account")
    engine.dispose()
    refused = cat.run("users", "list")
    assert refused.exit_code == 6 and "evidence db upgrade" in refused.stderr
    upgraded = cat.ok("db", "upgrade")
    assert f"schema upgraded from 0009 to {schema.SCHEMA_HEAD}" in upgraded.stdout
    users(cat, "add", "alice", "--role", "admin", stdin=SECRET)
    assert [a["name"] for a in cat.json("users", "list")["accounts"]] == ["alice"]
    assert len(cat.json("list")["items"]) == 1
    assert cat.json("verify")["ok"] is True


def test_the_printed_roles_script_lets_the_app_role_change_three_account_columns() -> None:
    sql = roles.script("evidence_app")
    assert 'GRANT UPDATE (role, password, disabled_at) ON "public".account TO "evidence_app";' in sql
    assert 'DELETE ON "public".account' not in sql and 'TRUNCATE ON "public".account' not in sql


@needs_postgres
def test_the_app_role_manages_accounts_but_cannot_rename_or_remove_one(
    pg_catalogue: Catalogue, app_role: str
) -> None:
    cat = pg_catalogue
    cat.ok("db", "roles", "--app-role", app_role)
    app_url = as_role(cat.url, app_role)
    as_app = {"EVIDENCE_DATABASE_URL": app_url}
    users(cat, "add", "alice", "--role", "viewer", stdin=SECRET, env=as_app)
    users(cat, "set", "alice", "--role", "analyst", "--disable", env=as_app)
    users(cat, "set", "alice", "--password-stdin", "--enable", stdin=SECRET + "!", env=as_app)
    engine = create_engine(app_url)
    try:
        for statement in (
            "UPDATE account SET name = 'mallory'",
            "UPDATE account SET created_by = 'mallory'",
            "DELETE FROM account",
            "TRUNCATE account",
        ):
            with pytest.raises(ProgrammingError) as raised, engine.begin() as conn:
                conn.execute(text(statement))
            assert "permission denied" in str(raised.value.orig), statement
    finally:
        engine.dispose()
    verified = cat.run("verify", "--json", env=as_app)
    assert verified.exit_code == 0, verified.output
