"""PostgreSQL: an application role that works the catalogue but cannot change or remove custody events.

The test connects as the application role by setting it at connection start (`options=-c role=…`), the
same privilege checks a login as that role gets; the owner (the test's superuser) runs the migrations.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Catalogue
from mediagen import make_image
from pgrole import app_role as app_role
from pgrole import as_role, needs_postgres
from pgrole import pg_catalogue as pg_catalogue
from sqlalchemy import create_engine, text
from sqlalchemy.exc import ProgrammingError

from evidence.catalogue import roles
from evidence.errors import UsageError


def test_the_printed_script_keeps_event_append_only() -> None:
    sql = roles.script("evidence_app")
    assert 'GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA "public" TO "evidence_app";' in sql
    assert 'UPDATE ON "public".event' not in sql and 'DELETE ON "public".event' not in sql
    assert 'GRANT UPDATE, DELETE ON "public".frame TO "evidence_app";' in sql
    assert 'GRANT SELECT ON "public".alembic_version TO "evidence_app";' in sql
    assert 'TRUNCATE ON "public".event' not in sql and 'UPDATE ON "public".event' not in sql
    for bad in ("app; DROP TABLE event", "App", "x" * 64, ""):
        with pytest.raises(UsageError):
            roles.script(bad)


def test_roles_are_refused_on_sqlite(sqlite_catalogue: Catalogue) -> None:
    result = sqlite_catalogue.run("db", "roles", "--app-role", "evidence_app")
    assert result.exit_code == 2 and "PostgreSQL" in result.stderr


@needs_postgres
def test_the_app_role_works_but_cannot_touch_the_log(
    pg_catalogue: Catalogue, app_role: str, tmp_path: Path
) -> None:
    cat = pg_catalogue
    refused = cat.run("db", "roles", "--app-role", "evidence_nobody_here")
    assert refused.exit_code == 2 and "create it first" in refused.stderr
    superuser = cat.run("db", "roles", "--app-role", "postgres")
    assert superuser.exit_code == 2 and "superuser" in superuser.stderr
    granted = cat.ok("db", "roles", "--app-role", app_role)
    assert "SELECT, INSERT only on event and the records" in granted.stdout
    app_url = as_role(cat.url, app_role)
    app = {"EVIDENCE_DATABASE_URL": app_url}

    # everyday work through the application role: add (with analysis), tag, claim, reindex, verify, anchor
    photo = make_image(tmp_path / "photo.jpg", size=(160, 120))
    for args in (
        ("add", photo),
        ("tag", "1", "helmet", "--note", "as the app role"),
        ("claim", "1", "--by", "Agency", "--text", "claimed", "--place", "Palmyra"),
        ("db", "reindex"),
        ("verify",),
        ("anchor",),
    ):
        result = cat.run(*args, env=app)
        assert result.exit_code == 0, (args, result.output)
    engine = create_engine(app_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT current_user")).scalar() == app_role
        count = conn.execute(text("SELECT count(*) FROM event")).scalar()
        assert count is not None and count >= 8
    for statement in (
        "UPDATE event SET actor = 'mallory' WHERE seq = 2",
        "DELETE FROM event WHERE seq = 2",
        "TRUNCATE event",
        "ALTER TABLE event DISABLE TRIGGER USER",
        "DROP TRIGGER event_append_only ON event",
        "DROP TABLE event CASCADE",
        "UPDATE alembic_version SET version_num = '0001'",
    ):
        with pytest.raises(ProgrammingError) as raised, engine.begin() as conn:
            conn.execute(text(statement))
        message = str(raised.value.orig)
        assert "permission denied" in message or "must be owner" in message, (statement, message)
    with engine.begin() as conn:
        conn.execute(text(f'GRANT UPDATE, DELETE ON event TO "{app_role}"'))  # a warning, no effect
        for privilege in ("UPDATE", "DELETE", "TRUNCATE", "TRIGGER"):
            held = conn.execute(text("SELECT has_table_privilege('event', :p)"), {"p": privilege}).scalar()
            assert held is False, privilege
    engine.dispose()
    assert cat.json("verify")["ok"] is True
