"""PostgreSQL catalogues for the tests of the application role (`evidence db roles`): a fresh
catalogue, a role made for this test run only (roles belong to the whole server, dropped afterwards),
and a database URL that connects as that role."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import PG_ENV, Catalogue, _initialised, pg_url, reset_postgres
from sqlalchemy import create_engine, text

needs_postgres = pytest.mark.skipif(
    pg_url() is None, reason=f"needs a PostgreSQL server: set {PG_ENV} to run the role tests"
)


@pytest.fixture
def pg_catalogue(tmp_path: Path) -> Catalogue:
    url = pg_url()
    assert url is not None
    reset_postgres(url)
    return _initialised(tmp_path / "case", "postgresql", url)


@contextmanager
def throwaway_role(url: str, prefix: str) -> Iterator[str]:
    """A role named for this test process, with no rights until the test grants them, dropped with
    whatever it owns afterwards."""
    name = f"{prefix}_{os.getpid()}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP ROLE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE ROLE "{name}" NOLOGIN'))
    try:
        yield name
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP OWNED BY "{name}"'))
            conn.execute(text(f'DROP ROLE "{name}"'))
        engine.dispose()


@pytest.fixture
def app_role(pg_catalogue: Catalogue) -> Iterator[str]:
    """A role for this test run only, with no rights until the test grants them."""
    with throwaway_role(pg_catalogue.url, "evidence_test_app") as name:
        yield name


def as_role(url: str, role: str) -> str:
    """`url`, connecting as `role` (set at connection start: the privilege checks a login as it gets)."""
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options={quote(f'-c role={role}')}"
