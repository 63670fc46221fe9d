"""Schema versions: Alembic drives them; the tool refuses a catalogue whose schema is not current."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, inspect, text

from evidence.errors import EnvironmentFailure, EvidenceError, SchemaOutdated

# The newest migration in migrations/versions; a test asserts it is Alembic's single head.
SCHEMA_HEAD = "0017"
VERSION_TABLE = "alembic_version"


def migrations_dir() -> Path:
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "_migrations", package.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("the evidence migrations folder is missing from this installation")


def alembic_config(url: str) -> object:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["evidence_url"] = url
    return config


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return None
        row = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).first()
        return str(row[0]) if row else None


class UpgradeFailed(EnvironmentFailure):
    """A migration failed; the transaction that ran every step was rolled back."""

    def __init__(self, message: str, *, before: str | None, now: str | None, reason: str) -> None:
        super().__init__(message)
        self.before, self.now, self.reason = before, now, reason


def upgrade(url: str, revision: str = "head") -> tuple[str | None, str | None]:
    """Apply migrations in one transaction (PostgreSQL and SQLite both roll DDL back); return
    (revision before, revision after). On failure raise UpgradeFailed saying where the schema is."""
    from alembic import command

    from evidence.catalogue.engine import make_engine

    engine = make_engine(url)
    try:
        before = current_revision(engine)
        config = alembic_config(url)
        try:
            with engine.begin() as conn:
                config.attributes["connection"] = conn  # type: ignore[attr-defined]
                command.upgrade(config, revision)  # type: ignore[arg-type]
        except Exception as exc:
            raise _failed(engine, before, revision, exc) from exc
        after = current_revision(engine)
    finally:
        engine.dispose()
    return before, after


def _failed(engine: Engine, before: str | None, target: str, exc: Exception) -> UpgradeFailed:
    target = SCHEMA_HEAD if target == "head" else target
    if isinstance(exc, EvidenceError):  # already said in words (the database's errors are translated)
        reason = exc.message
    else:
        detail = str(getattr(exc, "orig", None) or exc).strip()
        reason = f"{type(exc).__name__}: {detail.splitlines()[0] if detail else 'no detail'}"
    try:
        now = current_revision(engine)
    except Exception:  # the database itself is unreachable: say so rather than guess
        return UpgradeFailed(
            f"the schema upgrade from {before or 'empty'} to {target} failed ({reason}) and the "
            "database cannot be read now",
            before=before,
            now=None,
            reason=reason,
        )
    where = (
        f"it was rolled back: the catalogue is still at {now or 'no schema'} with all its records"
        if now == before
        else f"the catalogue is now at {now or 'no schema'}, not {before or 'empty'}"
    )
    return UpgradeFailed(
        f"the schema upgrade from {before or 'empty'} to {target} failed ({reason}); {where}",
        before=before,
        now=now,
        reason=reason,
    )


def require_current(engine: Engine) -> None:
    revision = current_revision(engine)
    if revision == SCHEMA_HEAD:
        return
    if revision is None:
        raise SchemaOutdated(
            "the catalogue database has no schema yet: run `evidence db upgrade` "
            "(or `evidence init` for a new catalogue)"
        )
    raise SchemaOutdated(
        f"the catalogue schema is at revision {revision}, this evidence needs {SCHEMA_HEAD}: "
        "run `evidence db upgrade` (an SQLite catalogue is copied to .evidence/backups/ first; on "
        "PostgreSQL take a pg_dump)"
    )
