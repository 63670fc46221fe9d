"""Schema versions: Alembic drives them; the tool refuses a catalogue whose schema is not current."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, inspect, text

from evidence.errors import SchemaOutdated

# The newest migration in migrations/versions; a test asserts it is Alembic's single head.
SCHEMA_HEAD = "0004"
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


def upgrade(url: str, revision: str = "head") -> tuple[str | None, str | None]:
    """Apply migrations; return (revision before, revision after)."""
    from alembic import command

    from evidence.catalogue.engine import make_engine

    engine = make_engine(url)
    try:
        before = current_revision(engine)
        config = alembic_config(url)
        with engine.begin() as conn:
            config.attributes["connection"] = conn  # type: ignore[attr-defined]
            command.upgrade(config, revision)  # type: ignore[arg-type]
        after = current_revision(engine)
    finally:
        engine.dispose()
    return before, after


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
        "run `evidence db upgrade` (back up .evidence/ first)"
    )
