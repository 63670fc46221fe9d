"""Where the catalogue lives: `--catalogue`, `EVIDENCE_CATALOGUE`, or the nearest `.evidence/` upward."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from evidence.errors import CatalogueNotFound

DIRNAME = ".evidence"
MARKER = "EVIDENCE"
SQLITE_NAME = "catalogue.sqlite"
ENV_CATALOGUE = "EVIDENCE_CATALOGUE"
ENV_DATABASE_URL = "EVIDENCE_DATABASE_URL"
ENV_STORE_URL = "EVIDENCE_STORE_URL"
ENV_QUEUE_URL = "EVIDENCE_QUEUE_URL"


@dataclass(frozen=True, slots=True)
class Location:
    """A catalogue directory (`.../.evidence`) and the database URL that holds its records."""

    root: Path
    database_url: str

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def sqlite_url(root: Path) -> str:
    """The URL of the catalogue's SQLite file, with `?`, `#` and `%` in the folder's path escaped (a
    plain f-string would cut the path at `?` and put the database somewhere else)."""
    from sqlalchemy.engine import URL

    return URL.create("sqlite", database=str(root / SQLITE_NAME)).render_as_string(hide_password=False)


def sqlite_file(url: str) -> Path | None:
    """The database file of an SQLite URL (None for another backend or an in-memory database)."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:
        return None
    if not parsed.drivername.startswith("sqlite") or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _database_url(root: Path, override: str | None) -> str:
    url = override if override is not None else os.environ.get(ENV_DATABASE_URL)
    return url or sqlite_url(root)


def target_for_init(directory: Path | None, catalogue: Path | None) -> Path:
    """The `.evidence` directory that `evidence init [DIR]` should create."""
    if directory is not None:
        return directory / DIRNAME
    explicit = catalogue or (Path(os.environ[ENV_CATALOGUE]) if os.environ.get(ENV_CATALOGUE) else None)
    if explicit is not None:
        return explicit if explicit.name == DIRNAME else explicit / DIRNAME
    return Path.cwd() / DIRNAME


def _as_catalogue_dir(path: Path) -> Path | None:
    if (path / MARKER).is_file():
        return path
    if (path / DIRNAME / MARKER).is_file():
        return path / DIRNAME
    return None


def locate(catalogue: Path | None = None, *, database_url: str | None = None) -> Location:
    """Find the catalogue to use, or say how to create one."""
    explicit = catalogue or (Path(os.environ[ENV_CATALOGUE]) if os.environ.get(ENV_CATALOGUE) else None)
    if explicit is not None:
        found = _as_catalogue_dir(explicit)
        if found is None:
            raise CatalogueNotFound(
                f"no evidence catalogue at {explicit}: create one with `evidence init {explicit}`"
            )
        return Location(found.resolve(), _database_url(found.resolve(), database_url))
    here = Path.cwd().resolve()
    for directory in (here, *here.parents):
        found = _as_catalogue_dir(directory)
        if found is not None:
            found = found.resolve()  # a `.evidence` reached through a symbolic link: where it really is
            return Location(found, _database_url(found, database_url))
    raise CatalogueNotFound(
        "no evidence catalogue here or in any parent folder: create one with `evidence init` "
        "(or pass --catalogue PATH)"
    )
