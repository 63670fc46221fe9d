"""Engines and sessions: SQLite with WAL, a busy timeout and BEGIN IMMEDIATE; PostgreSQL with a
transaction-scoped advisory lock so that custody appends are serialised on both."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from evidence.errors import EnvironmentFailure

BUSY_TIMEOUT_MS = 60_000
# any constant shared by every evidence process: the lock that serialises catalogue writes on PostgreSQL
PG_WRITE_LOCK = 0x45564944  # "EVID"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # let SQLAlchemy, not the driver, decide when transactions begin
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() != "wal":
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.close()
        # SQLite's lower() folds ASCII only; searches fold with Python's, like PostgreSQL's lower()
        dbapi_connection.create_function("evidence_lower", 1, _lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


class Database:
    """An engine plus session factory; `write()` and `read()` own their transactions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction; on PostgreSQL it first takes the catalogue's write lock."""
        with _environment_errors(), self.sessions() as session, session.begin():
            if self.dialect == "postgresql":
                session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_WRITE_LOCK})
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read transaction that sees one state of the catalogue throughout: SQLite's transactions
        are serialised; on PostgreSQL it runs at REPEATABLE READ, so that the custody log and the
        records it vouches for are read as of the same moment while others write."""
        with _environment_errors(), self.sessions() as session, session.begin():
            if self.dialect == "postgresql":
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def _environment_errors() -> Iterator[None]:
    try:
        yield
    except OperationalError as exc:
        message = str(exc.orig) if exc.orig is not None else str(exc)
        first = message.strip().splitlines()[0] if message.strip() else "unknown database error"
        if "locked" in first or "busy" in first:
            raise EnvironmentFailure(
                f"the catalogue database is locked by another process ({first}); try again"
            ) from exc
        if "readonly" in first or "read-only" in first:
            raise EnvironmentFailure(f"the catalogue database is read-only ({first})") from exc
        if "disk" in first and "full" in first:
            raise EnvironmentFailure(f"the disk is full ({first}); free some space and retry") from exc
        raise EnvironmentFailure(f"database error: {first}") from exc
