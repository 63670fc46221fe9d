"""An open catalogue: where it is, its database and its object store."""

from __future__ import annotations

import getpass
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from evidence import TOOL_NAME, __version__
from evidence.catalogue import custody, schema
from evidence.catalogue.engine import Database
from evidence.config import MARKER, Location, locate, sqlite_url
from evidence.errors import EnvironmentFailure, UsageError
from evidence.store.local import LocalStore, environment_error

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
    store: LocalStore

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.db.dispose()


def open_workspace(catalogue: Path | None = None, *, check_schema: bool = True) -> Workspace:
    location = locate(catalogue)
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
    return Workspace(location, db, LocalStore(location.store_root))


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
    url = database_url or os.environ.get("EVIDENCE_DATABASE_URL") or sqlite_url(target)
    try:
        store = LocalStore(target / "store")
        store.create()
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
                    action="init",
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
    from evidence import vocabulary

    if not vocabulary.starter_due(schema_before):
        return False
    return vocabulary.seed_starter(session, actor=actor or default_actor()) is not None


@dataclass(frozen=True, slots=True)
class UpgradeResult:
    before: str | None
    after: str | None
    starter_added: bool


def upgrade_catalogue(catalogue: Path | None = None, *, actor: str | None = None) -> UpgradeResult:
    """`evidence db upgrade`: apply the migrations, then seed the starter vocabulary when the upgrade
    brought the (empty) vocabulary tables."""
    from evidence import vocabulary

    location = locate(catalogue)
    before, after = schema.upgrade(location.database_url)
    if not vocabulary.starter_due(before):
        return UpgradeResult(before, after, starter_added=False)
    db = Database(location.database_url)
    try:
        with db.write() as session:
            added = _seed_vocabulary(session, before, actor)
    finally:
        db.dispose()
    return UpgradeResult(before, after, starter_added=added)
