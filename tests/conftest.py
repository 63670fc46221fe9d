"""Shared fixtures: a fresh catalogue per test on SQLite, and on PostgreSQL when one is configured."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from evidence.cli.main import app

# no time limit per example: on a loaded 2-core machine a first example took 1.2 s (a pure function that
# takes 0.1 ms), and how long a property takes is not what it asserts
settings.register_profile("evidence", deadline=None)
settings.load_profile("evidence")

# Reading text in keyframes (Tesseract) is part of every analysis where it is installed; the suite adds
# thousands of clips that hold no text, so it reads none unless a test asks (tests/analysis/
# test_frame_text.py turns it on) or the environment says otherwise
os.environ.setdefault("EVIDENCE_OCR_LANGUAGES", "none")

PG_ENV = "EVIDENCE_TEST_DATABASE_URL"
SHARED_MEDIA = Path(__file__).resolve().parents[1].parent / "shared" / "media"


def pg_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
        conn.execute(text("DROP FUNCTION IF EXISTS evidence_event_append_only() CASCADE"))
    engine.dispose()


@dataclass
class Catalogue:
    """A catalogue made with `evidence init` in a temporary folder, and a way to run commands on it."""

    home: Path
    backend: str
    database_url: str | None
    runner: CliRunner = field(default_factory=CliRunner)

    @property
    def root(self) -> Path:
        return self.home / ".evidence"

    @property
    def env(self) -> dict[str, str | None]:
        return {
            "EVIDENCE_DATABASE_URL": self.database_url,
            "EVIDENCE_CATALOGUE": None,
            "EVIDENCE_DEBUG": None,
            "EVIDENCE_ACTOR": "tester",
        }

    def run(self, *args: str | Path, env: dict[str, str | None] | None = None) -> Any:
        merged = {**self.env, **(env or {})}
        return self.runner.invoke(app, ["--catalogue", str(self.root), *map(str, args)], env=merged)

    def ok(self, *args: str | Path) -> Any:
        result = self.run(*args)
        assert result.exit_code == 0, result.output
        return result

    def json(self, *args: str | Path, code: int = 0) -> Any:
        result = self.run(*args, "--json")
        assert result.exit_code == code, result.output
        return json.loads(result.stdout)

    @property
    def url(self) -> str:
        return self.database_url or f"sqlite:///{self.root / 'catalogue.sqlite'}"


def _backends() -> list[Any]:
    return [
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                pg_url() is None, reason=f"no PostgreSQL server configured (set {PG_ENV} to run these)"
            ),
        ),
    ]


def _initialised(home: Path, backend: str, url: str | None) -> Catalogue:
    home.mkdir()
    cat = Catalogue(home, backend, url)
    result = cat.runner.invoke(app, ["init", str(home)], env=cat.env)
    assert result.exit_code == 0, result.output
    return cat


@pytest.fixture(params=_backends())
def catalogue(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Catalogue]:
    """A fresh catalogue on each backend (PostgreSQL only when EVIDENCE_TEST_DATABASE_URL is set)."""
    backend = request.param
    url = None
    if backend == "postgresql":
        url = pg_url()
        assert url is not None
        reset_postgres(url)
    yield _initialised(tmp_path / "case", backend, url)


@pytest.fixture
def sqlite_catalogue(tmp_path: Path) -> Catalogue:
    return _initialised(tmp_path / "case", "sqlite", None)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """A folder of small distinct files to add."""
    folder = tmp_path / "incoming"
    folder.mkdir()
    for i in range(3):
        (folder / f"note-{i}.txt").write_text(f"tip number {i}\n")
    return folder
