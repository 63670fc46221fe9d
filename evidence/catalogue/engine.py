"""Engines and sessions: SQLite with WAL, a busy timeout and BEGIN IMMEDIATE; PostgreSQL with a
transaction-scoped advisory lock so that custody appends are serialised on both.

Every engine is made here, from a URL checked first (only SQLite files and PostgreSQL through psycopg
are supported: anything else is a usage error, exit 2; a driver this installation cannot load, psycopg
without the `team` extra, is an environment failure, exit 4), and every error a database raises passes one
translation (`database_failure`): a damaged database is an integrity failure (exit 5) that says how to
recover and is never written to; an unreachable, locked, read-only or full one is an environment
failure (exit 4)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.exc import OperationalError as SAOperationalError
from sqlalchemy.orm import Session, sessionmaker

from evidence.core.text import printable
from evidence.errors import EnvironmentFailure, EvidenceError, IntegrityFailure, UsageError

BUSY_TIMEOUT_MS = 60_000
# any constant shared by every evidence process: the lock that serialises catalogue writes on PostgreSQL
PG_WRITE_LOCK = 0x45564944  # "EVID"

SUPPORTED = "sqlite:///PATH or postgresql+psycopg://[USER[:PASSWORD]@]HOST[:PORT]/DBNAME"
# what installs the PostgreSQL driver (and the S3 client): the `team` extra of pyproject.toml
TEAM_INSTALL = "pip install 'evidence[team]'"
_DRIVERS = {"sqlite": ("", "pysqlite"), "postgresql": ("", "psycopg")}
_SQLITE_DAMAGED = (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB (primary result codes)
_PG_DAMAGED = ("XX001", "XX002")  # data_corrupted, index_corrupted


def parse_url(url: str) -> URL:
    """The database URL, checked: SQLite on a file, or PostgreSQL through psycopg (the default driver
    for `postgresql://`). UsageError (exit 2) otherwise; the URL itself is never echoed (it may hold a
    password)."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise UsageError(
            f"the database URL (EVIDENCE_DATABASE_URL) is not a URL that can be read: use {SUPPORTED}"
        ) from None
    backend, _, driver = parsed.drivername.partition("+")
    if driver not in _DRIVERS.get(backend, ()):
        raise UsageError(
            f"the database URL (EVIDENCE_DATABASE_URL) names {printable(parsed.drivername)!r}, which "
            f"evidence does not support: use {SUPPORTED}"
        )
    if backend == "sqlite" and (
        parsed.database in (None, "", ":memory:") or parsed.query.get("mode") == "memory"
    ):
        raise UsageError(f"an in-memory SQLite database cannot hold a catalogue: use {SUPPORTED}")
    return parsed.set(drivername="postgresql+psycopg") if backend == "postgresql" else parsed


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite URL (None for PostgreSQL)."""
    parsed = parse_url(url)
    return Path(parsed.database) if parsed.get_backend_name() == "sqlite" and parsed.database else None


def require_database_file(url: str, *, missing_ok: bool = False, empty_ok: bool = False) -> None:
    """A usable URL (UsageError otherwise) and, for an existing catalogue, its SQLite file there (unless
    `missing_ok`) and not empty (unless `empty_ok`): SQLite would otherwise make a new, empty database
    in its place, writing to the very file that was lost or truncated."""
    path = sqlite_file(url)
    if path is None:
        return
    shown = printable(str(path))
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        if missing_ok:
            return
        raise IntegrityFailure(
            f"the catalogue database {shown} is missing; nothing was created in its place: "
            f"{_restore_advice(path)} (if `evidence init` was interrupted before it made the database, "
            "run it again)"
        ) from None
    except OSError as exc:
        raise EnvironmentFailure(f"cannot open the catalogue database {shown}: {exc.strerror}") from exc
    if size == 0 and not empty_ok:
        raise IntegrityFailure(
            f"the catalogue database {shown} is damaged (it is empty, 0 bytes); it was left as it is: "
            f"{_restore_advice(path)} (if `evidence init` was interrupted before it wrote the database, "
            "delete the empty file and run it again)"
        )


def make_engine(url: str) -> Engine:
    parsed = parse_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
            _configure_sqlite(engine)
        else:
            engine = create_engine(parsed, pool_pre_ping=True)
    except (ImportError, NoSuchModuleError) as exc:
        raise missing_driver(parsed, exc) from None
    where = sqlite_file(url)

    @event.listens_for(engine, "handle_error")
    def _translate(context: ExceptionContext) -> None:
        if context.is_pre_ping:
            return  # the pool is testing a connection: it handles the answer itself
        failure = database_failure(context.original_exception, context.sqlalchemy_exception, where)
        if failure is not None:
            raise failure

    return engine


def missing_driver(parsed: URL, exc: Exception) -> EnvironmentFailure:
    """A database driver this installation cannot load (SQLAlchemy imports it when the engine is
    made): psycopg comes with the `team` extra; an unknown scheme is named (never the URL itself)."""
    scheme, detail = printable(parsed.drivername), printable(_first_line(exc))
    if isinstance(exc, NoSuchModuleError):
        return EnvironmentFailure(
            f"this installation cannot load a database driver for the URL scheme {scheme!r} "
            f"(EVIDENCE_DATABASE_URL): use {SUPPORTED}"
        )
    if parsed.get_backend_name() == "postgresql":
        return EnvironmentFailure(
            f"a PostgreSQL catalogue needs its driver, psycopg, which could not be loaded "
            f"({detail}): install it with `{TEAM_INSTALL}`"
        )
    return EnvironmentFailure(
        f"the database driver for the URL scheme {scheme!r} could not be loaded ({detail})"
    )


def database_failure(
    original: BaseException, wrapped: BaseException | None, sqlite_path: Path | None
) -> EvidenceError | None:
    """What a database error means for the user: a damaged database (exit 5), an unreachable, locked,
    read-only or full one (exit 4); None for anything else (a bug, reported as such)."""
    if isinstance(original, EvidenceError):
        return None
    detail = _first_line(original)
    code = getattr(original, "sqlite_errorcode", None) if isinstance(original, sqlite3.Error) else None
    damaged = isinstance(code, int) and code & 0xFF in _SQLITE_DAMAGED
    if damaged or getattr(original, "sqlstate", None) in _PG_DAMAGED:
        if sqlite_path is not None:
            return IntegrityFailure(
                f"the catalogue database {printable(str(sqlite_path))} is damaged ({detail}); it was left "
                f"as it is: {_restore_advice(sqlite_path)}"
            )
        return IntegrityFailure(
            f"the catalogue database reports damaged data ({detail}): restore it from a dump taken "
            "with pg_dump (the preserved originals in .evidence/store/objects are untouched)"
        )
    if isinstance(wrapped, SAOperationalError) or isinstance(original, sqlite3.OperationalError):
        return environment_failure(detail, server=sqlite_path is None)
    return None


_LOCKED = re.compile(r"\b(locked|lock timeout|deadlock detected|busy)\b", re.IGNORECASE)
_FULL = re.compile(r"disk is full|disk full|no space left", re.IGNORECASE)


def environment_failure(detail: str, *, server: bool = False) -> EnvironmentFailure:
    if _LOCKED.search(detail):
        return EnvironmentFailure(
            f"the catalogue database is locked by another process ({detail}); try again"
        )
    if "readonly" in detail or "read-only" in detail:
        return EnvironmentFailure(f"the catalogue database is read-only ({detail})")
    if _FULL.search(detail):
        return EnvironmentFailure(f"the disk is full ({detail}); free some space and retry")
    if server:
        return EnvironmentFailure(
            f"cannot use the catalogue database ({detail}): check that the PostgreSQL server is running "
            "and that EVIDENCE_DATABASE_URL names it, then try again"
        )
    return EnvironmentFailure(f"cannot use the catalogue database ({detail})")


def _first_line(exc: BaseException) -> str:
    message = str(exc).strip()
    return message.splitlines()[0].strip() if message else type(exc).__name__


def _restore_advice(path: Path) -> str:
    backups = path.parent / "backups"
    return (
        f"restore it from a copy ({printable(str(backups))}/ holds the copies `evidence db upgrade` "
        "took) or from your own backup; the preserved originals in store/objects are untouched"
    )


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
        # a long-running reader (`evidence serve`) may keep what it derives from a state of the
        # catalogue between read transactions while the custody log's head is unchanged
        # (`session.info["reuse"]`; see `catalogue.vocab.shared`)
        self.reuse_between_reads = False

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction; on PostgreSQL it first takes the catalogue's write lock."""
        with self.sessions() as session, session.begin():
            if self.dialect == "postgresql":
                session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_WRITE_LOCK})
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read transaction that sees one state of the catalogue throughout: SQLite's transactions
        are serialised; on PostgreSQL it runs at REPEATABLE READ, so that the custody log and the
        records it vouches for are read as of the same moment while others write."""
        with self.sessions() as session, session.begin():
            if self.dialect == "postgresql":
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            session.info["reuse"] = self.reuse_between_reads
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
