"""An open catalogue: where it is, its database and its object store."""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import os
import shlex
import socket
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from evidence import TOOL_NAME, __version__
from evidence.catalogue import claim_statements, custody, schema, seal, starter
from evidence.catalogue.engine import Database, make_engine, require_database_file
from evidence.config import MARKER, SQLITE_NAME, Location, locate, sqlite_file, sqlite_url
from evidence.core.custody import CustodyAction
from evidence.core.text import printable
from evidence.errors import EnvironmentFailure, UsageError
from evidence.store.base import ObjectStore
from evidence.store.choose import open_store, record_store
from evidence.store.files import environment_error
from evidence.store.local import LocalStore
from evidence.store.output import Protected, inside_a_catalogue, real, write_output

ENV_ACTOR = "EVIDENCE_ACTOR"


def default_actor() -> str:
    if os.environ.get(ENV_ACTOR):
        return os.environ[ENV_ACTOR]
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = f"uid{os.getuid()}"
    return f"{user}@{socket.gethostname()}"


def tool_version() -> str:
    return f"{TOOL_NAME} {__version__}"


@dataclass
class Workspace:
    location: Location
    db: Database
    store: ObjectStore

    def protected(self) -> Protected:
        """What no output may land in or replace: this catalogue (and its SQLite database, wherever a
        URL put it) and the objects of its store."""
        files: list[Path] = []
        database = sqlite_file(self.location.database_url)
        if database is not None:
            files = [database, Path(f"{database}-wal"), Path(f"{database}-shm"), Path(f"{database}-journal")]
        stores = [self.store.root] if isinstance(self.store, LocalStore) else []
        return Protected.of([self.location.root], files, stores)

    def write_output(self, data: bytes, output: Path) -> str:
        """Write a file for people atomically, never inside the catalogue; returns its SHA-256."""
        return write_output(data, output, self.protected())

    def export(
        self, data: bytes, output: Path | None, *, actor: str, subject: str, details: dict[str, Any]
    ) -> tuple[str, int]:
        """Write a file for people (atomically, never inside the catalogue), or with no `output` leave
        `data` for the caller to print, and log it as one `export` event whose details also say where it
        went and its SHA-256. Returns the SHA-256 and the event's seq."""
        digest = self.write_output(data, output) if output is not None else hashlib.sha256(data).hexdigest()
        where = {"path": str(output.resolve()) if output is not None else None, "sha256": digest}
        with self.db.write() as session:
            event = custody.append(
                session,
                actor=actor,
                action=CustodyAction.EXPORT,
                subject=subject,
                details={**details, **where},
            )
            return digest, event.seq

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.db.dispose()


def open_workspace(catalogue: Path | None = None, *, check_schema: bool = True) -> Workspace:
    location = locate(catalogue)
    require_database_file(location.database_url)
    db = Database(location.database_url)
    if check_schema:
        try:
            schema.require_current(db.engine)
        except OperationalError as exc:
            db.dispose()
            raise EnvironmentFailure(f"cannot open the catalogue database: {exc.orig}") from exc
        except BaseException:
            db.dispose()
            raise
    try:
        store = open_store(location.root)
    except BaseException:
        db.dispose()
        raise
    return Workspace(location, db, store)


@dataclass(frozen=True, slots=True)
class InitResult:
    root: Path
    database_url: str
    created: bool


def init_workspace(target: Path, *, database_url: str | None = None, actor: str | None = None) -> InitResult:
    """Create `target` (a `.evidence` directory): store folders, marker, schema, first custody event."""
    existed = (target / MARKER).is_file()
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} exists and is not a directory")
    if not existed and inside_a_catalogue(real(target.parent)):
        raise UsageError(
            f"{printable(str(target))} would be inside another catalogue (which holds preserved originals): "
            "choose a folder outside it"
        )
    url = database_url or os.environ.get("EVIDENCE_DATABASE_URL") or sqlite_url(target)
    # before anything is written: a URL that cannot work, or a catalogue whose database was emptied
    require_database_file(url, missing_ok=True, empty_ok=not existed)
    make_engine(url).dispose()  # a driver this installation lacks (psycopg without the team extra)
    store = open_store(target)  # before anything is written: a store URL that cannot work
    try:
        target.mkdir(parents=True, exist_ok=True)
        store.create()
        record_store(target)
        if not existed:
            (target / MARKER).write_text(
                "This folder is an evidence catalogue. Do not edit or delete anything in it by hand:\n"
                "store/objects holds the preserved originals, named by their SHA-256.\n"
            )
    except OSError as exc:
        raise environment_error(exc, f"creating {target}") from exc
    before, _after = schema.upgrade(url)
    db = Database(url)
    try:
        with db.write() as session:
            if custody.head(session) is None:
                custody.append(
                    session,
                    actor=actor or default_actor(),
                    action=CustodyAction.INIT,
                    subject="catalogue",
                    details={"tool": tool_version(), "schema": schema.SCHEMA_HEAD},
                )
            _seed_vocabulary(session, before, actor)
    finally:
        db.dispose()
    return InitResult(target.resolve(), url, created=not existed)


def _seed_vocabulary(session: Session, schema_before: str | None, actor: str | None) -> bool:
    """A catalogue that just gained the vocabulary tables (new, or upgraded across them) and has no
    terms gets the starter vocabulary, logged as one event."""
    if not starter.starter_due(schema_before):
        return False
    return starter.seed_starter(session, actor=actor or default_actor()) is not None


@dataclass(frozen=True, slots=True)
class UpgradeResult:
    before: str | None
    after: str | None
    starter_added: bool
    backup: Path | None = None  # the SQLite copy taken before the upgrade
    sealed: int = 0  # `seal` events that record the digests of records made before digests were logged
    said_on_moved: int = 0  # counter-claims whose one date became when they were said (schema 0007)


BACKUPS = "backups"


def upgrade_catalogue(catalogue: Path | None = None, *, actor: str | None = None) -> UpgradeResult:
    """`evidence db upgrade`: back up an SQLite catalogue whose schema is behind, apply the migrations
    in one transaction, then seed the starter vocabulary when the upgrade brought the (empty)
    vocabulary tables. A failed upgrade is rolled back (exit 4), naming the backup and how to restore."""
    location = locate(catalogue)
    require_database_file(location.database_url)
    backup = None
    db = Database(location.database_url)
    try:
        revision = schema.current_revision(db.engine)
        matching = None  # the claims the log vouches for, to carry across schema 0007
        if claim_statements.due(revision):
            with db.read() as session:
                matching = claim_statements.matching_claims(session)
    except OperationalError as exc:
        raise EnvironmentFailure(f"cannot open the catalogue database: {exc.orig}") from exc
    finally:
        db.dispose()
    if location.is_sqlite and revision is not None and revision != schema.SCHEMA_HEAD:
        backup = backup_sqlite(location, revision)
    try:
        before, after = schema.upgrade(location.database_url)
    except schema.UpgradeFailed as exc:
        restored = exc.now == exc.before
        raise EnvironmentFailure(f"{exc.message}; {_recovery(location, backup, restored)}") from exc
    if not starter.starter_due(before) and not seal.due(before) and matching is None:
        return UpgradeResult(before, after, starter_added=False, backup=backup)
    db = Database(location.database_url)
    who = actor or default_actor()
    try:
        with db.write() as session:
            sealed = moved = 0
            if seal.due(before):
                reason = f"schema {before} upgraded to {after}: the records as they stand are sealed"
                sealed = seal.seal(session, actor=who, reason=reason)
            if matching is not None:
                reason = (
                    f"schema {before} upgraded to {after}: claims say when they were said; a "
                    "counter-claim's date is when it was said"
                )
                moved = claim_statements.vouch(session, matching, actor=who, reason=reason)
            added = _seed_vocabulary(session, before, actor)
    finally:
        db.dispose()
    return UpgradeResult(
        before, after, starter_added=added, backup=backup, sealed=sealed, said_on_moved=moved
    )


def _recovery(location: Location, backup: Path | None, rolled_back: bool) -> str:
    if backup is None:
        if location.is_sqlite:
            return "nothing was changed; fix the cause and run `evidence db upgrade` again"
        return (
            "PostgreSQL rolled the whole upgrade back; fix the cause and run `evidence db upgrade` again "
            "(or restore the dump you took before)"
        )
    database, copy = shlex.quote(str(location.root / SQLITE_NAME)), shlex.quote(str(backup))
    restore = f"`rm -f {database}-wal {database}-shm && cp {copy} {database}`"
    if rolled_back:
        return (
            f"nothing needs restoring, but a copy taken before the upgrade is at {copy} (to go back "
            f"to it: stop every evidence process, then {restore})"
        )
    return f"restore the copy taken before the upgrade: stop every evidence process, then {restore}"


def backup_sqlite(location: Location, revision: str) -> Path:
    """A consistent copy of the SQLite catalogue (SQLite's online backup, so the WAL is included) in
    `.evidence/backups/catalogue-<revision>-<UTC time>.sqlite`."""
    import sqlite3
    from datetime import UTC, datetime

    folder = location.root / BACKUPS
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = folder / f"catalogue-{revision}-{stamp}.sqlite"
    n = 1
    while target.exists():
        target, n = folder / f"catalogue-{revision}-{stamp}-{n}.sqlite", n + 1
    partial = target.with_name(target.name + ".partial")
    try:
        folder.mkdir(exist_ok=True)
        source = sqlite3.connect(location.root / SQLITE_NAME)
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")
        finally:
            copy.close()
            source.close()
        with partial.open("rb") as handle:
            os.fsync(handle.fileno())
        partial.rename(target)
        directory = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    except (OSError, sqlite3.Error) as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise EnvironmentFailure(
            f"could not back up the catalogue before upgrading it ({exc}); nothing was changed: "
            "free some space or fix the permissions, then run `evidence db upgrade` again"
        ) from exc
    return target
