"""PostgreSQL roles: an application role that can add to the catalogue but cannot change or remove
custody events or records.

The append-only triggers stop mistakes, not people: the owner of a table (and any superuser) can
disable them. So on PostgreSQL two roles are used:

- the **owner** role runs `evidence db upgrade` (it owns every table, the triggers and their function);
- the **application** role, which everyday `evidence` commands connect as, gets SELECT and INSERT on every
  table and nothing more, except: UPDATE and DELETE on the derived data that analysis re-makes (`frame`,
  `fingerprint`, `frame_descriptor`, `hash_band`, and TRUNCATE on `hash_band` for `evidence db reindex`),
  and UPDATE of exactly the columns evidence changes, each change logged with the record's new digest: an
  item's analysis results, a relation's matcher suggestion, a term's place and note, a place's
  coordinates, an account's role, password and disabled time; and the state columns of the analysis
  jobs (`analysis_job`, operational state that no event covers). Only SELECT on `alembic_version`, USAGE
  on the sequences. It owns nothing, so it cannot disable or drop the triggers; it cannot UPDATE, DELETE
  or TRUNCATE the custody log or any other record (corrections and withdrawals are new rows).

`grant_statements` is the SQL (run it as the owner); `apply_app_role` runs it after checking that the
role exists, is not a superuser and owns no catalogue table. Run it again after each `db upgrade`
(default privileges cover new tables, but a table re-created by a migration loses its grants).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import text

from evidence.catalogue.engine import make_engine
from evidence.errors import UsageError

READ_ONLY = ("alembic_version",)
DERIVED = (
    "frame",
    "fingerprint",
    "frame_descriptor",
    "hash_band",
)  # re-made by analysis; `db reindex` truncates hash_band
TRUNCATABLE = ("hash_band",)
# the only columns of records that evidence changes (each change appends an event with the new digest)
UPDATABLE = {
    "item": ("kind", "mime", "probe", "analysis", "analysed_at", "summary"),
    "relation": ("kind", "score", "matcher", "evidence"),
    "term": ("parent_id", "scope", "note"),
    "place": ("latitude", "longitude", "precision"),
    "account": ("role", "password", "disabled_at"),
}
# operational state, not records: the job queue's rows (`catalogue/jobs.py`), taken and finished by
# `evidence worker`; no event carries their digest
OPERATIONAL = {"analysis_job": ("state", "started_at", "finished_at", "attempts", "worker", "error")}
_ROLE = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def check_role_name(name: str, what: str = "role") -> str:
    if not _ROLE.fullmatch(name):
        raise UsageError(
            f"{name!r} is not a {what} name evidence will use: lower-case letters, digits and _, "
            "starting with a letter or _, at most 63 characters"
        )
    return name


def grant_statements(app_role: str, schema: str = "public") -> list[str]:
    """The SQL that gives `app_role` everyday access to the catalogue in `schema` and no more."""
    role, where = f'"{check_role_name(app_role)}"', f'"{check_role_name(schema, "schema")}"'
    statements = [
        f"GRANT USAGE ON SCHEMA {where} TO {role}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {where} FROM {role}",
        f"GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA {where} TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {where} TO {role}",
    ]
    statements += [f"GRANT UPDATE, DELETE ON {where}.{table} TO {role}" for table in DERIVED]
    statements += [
        f"GRANT UPDATE ({', '.join(columns)}) ON {where}.{table} TO {role}"
        for table, columns in (UPDATABLE | OPERATIONAL).items()
    ]
    for table in READ_ONLY:
        statements += [
            f"REVOKE ALL ON {where}.{table} FROM {role}",
            f"GRANT SELECT ON {where}.{table} TO {role}",
        ]
    statements += [f"GRANT TRUNCATE ON {where}.{table} TO {role}" for table in TRUNCATABLE]
    defaults = f"ALTER DEFAULT PRIVILEGES IN SCHEMA {where} GRANT"
    statements += [
        f"{defaults} SELECT, INSERT ON TABLES TO {role}",
        f"{defaults} USAGE, SELECT ON SEQUENCES TO {role}",
    ]
    return statements


def script(app_role: str, schema: str = "public") -> str:
    """The statements as one SQL script, with a comment on who runs it."""
    check_role_name(app_role)
    head = [
        "-- evidence: the application role's privileges (run as the role that owns the catalogue tables,",
        "-- the one that runs `evidence db upgrade`). Create the role first, once, for example:",
        f"--   CREATE ROLE {app_role} LOGIN PASSWORD '...';",
        "BEGIN;",
    ]
    return "\n".join([*head, *(s + ";" for s in grant_statements(app_role, schema)), "COMMIT;", ""])


@dataclass(frozen=True, slots=True)
class RolesResult:
    app_role: str
    owner: str
    schema: str
    statements: list[str]


def apply_app_role(url: str, app_role: str) -> RolesResult:
    """Check the role and grant it everyday access to the catalogue at `url` (a PostgreSQL URL),
    in one transaction."""
    check_role_name(app_role)
    if not url.startswith("postgresql"):
        raise UsageError(
            "database roles are a PostgreSQL feature: an SQLite catalogue is protected by its file "
            "permissions, and `evidence verify --anchor` detects a rewritten history"
        )
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            schema, owner = conn.execute(text("SELECT current_schema(), current_user")).one()
            role = conn.execute(
                text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :r"), {"r": app_role}
            ).first()
            if role is None:
                raise UsageError(
                    f"there is no role {app_role}: create it first (for example "
                    f"`CREATE ROLE {app_role} LOGIN PASSWORD '...'`), then run this again"
                )
            if role[0] or role[1]:
                raise UsageError(f"{app_role} is a superuser: an application role must be an ordinary role")
            owned = conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = :s AND tableowner = :r"),
                {"s": schema, "r": app_role},
            ).scalars()
            owned_tables = sorted(owned)
            if owned_tables:
                raise UsageError(
                    f"{app_role} owns {', '.join(owned_tables)}: the application role must not own the "
                    "catalogue tables (their owner can disable the append-only triggers); run "
                    "`evidence db upgrade` and `evidence db roles` as another role"
                )
            if app_role == owner:
                raise UsageError(f"{app_role} is the role running this command: name another role")
            statements = grant_statements(app_role, schema)
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()
    return RolesResult(app_role, str(owner), str(schema), statements)
