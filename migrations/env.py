"""Alembic environment for evidence: the URL comes from evidence's own configuration."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from evidence.catalogue import models  # noqa: F401  (registers the tables on Base.metadata)
from evidence.catalogue.base import Base
from evidence.catalogue.engine import make_engine

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.attributes.get("evidence_url") or config.get_main_option("sqlalchemy.url")
    if url:
        return str(url)
    from evidence.config import ENV_DATABASE_URL, locate

    if os.environ.get(ENV_DATABASE_URL):
        return os.environ[ENV_DATABASE_URL]

    return locate().database_url


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
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
