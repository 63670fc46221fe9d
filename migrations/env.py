"""Alembic environment for evidence: the URL comes from evidence's own configuration."""

from __future__ import annotations

import os
from typing import Any

from alembic import context
from sqlalchemy import Connection

from evidence.catalogue import models  # noqa: F401  (registers the tables on Base.metadata)
from evidence.catalogue.base import Base
from evidence.catalogue.engine import make_engine

config = context.config
target_metadata = Base.metadata

# A test hook: fail right after the named revision's DDL has run (and before the upgrade commits), to
# prove that a failed upgrade leaves the catalogue at its old revision. Never set it outside tests.
ENV_TEST_FAIL = "EVIDENCE_TEST_MIGRATION_FAIL"


def _url() -> str:
    url = config.attributes.get("evidence_url") or config.get_main_option("sqlalchemy.url")
    if url:
        return str(url)
    from evidence.config import ENV_DATABASE_URL, locate

    if os.environ.get(ENV_DATABASE_URL):
        return os.environ[ENV_DATABASE_URL]

    return locate().database_url


def _fail_for_tests(*, step: Any, **_kw: Any) -> None:
    if step.is_upgrade and step.up_revision_id == os.environ.get(ENV_TEST_FAIL):
        raise RuntimeError(f"test hook: migration {step.up_revision_id} failed after its DDL ran")


def _include(obj: Any, name: str | None, kind: str, reflected: bool, _compare_to: Any) -> bool:
    """What `alembic check` compares: not the trigram indexes of revision 0013, which exist on
    PostgreSQL only (where pg_trgm could be installed) and are not in the models."""
    return not (kind == "index" and reflected and (name or "").endswith("_trgm"))


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=_include,
        # every revision in one transaction (the caller's, when it passes a connection): PostgreSQL
        # and SQLite both roll DDL back, so a failed upgrade leaves the old revision intact
        transaction_per_migration=False,
        on_version_apply=_fail_for_tests if os.environ.get(ENV_TEST_FAIL) else None,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
