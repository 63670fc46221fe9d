"""On PostgreSQL the substring searches (`search --text`, `--claimed-by`, `--signed-by`) are served
by trigram indexes (revisions 0013, 0016, 0017), so that they read the rows holding the text instead
of every row: every column the searches read (found in the SQL they write) has one, and each indexed
expression is the one the search writes (checked on the plan, with sequential scans off, as a large
catalogue would plan it)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import _initialised, pg_url, reset_postgres
from sqlalchemy.orm import Session

from evidence.catalogue import credentials, search
from evidence.catalogue.engine import Database

pytestmark = pytest.mark.skipif(
    pg_url() is None, reason="no PostgreSQL server configured (set EVIDENCE_TEST_DATABASE_URL)"
)


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    url = pg_url()
    assert url is not None
    reset_postgres(url)
    cat = _initialised(tmp_path / "case", "postgresql", url)
    db = Database(cat.url)
    with db.read() as s:
        s.execute(sa.text("SET LOCAL enable_seqscan = off"))  # plan as for a table too large to scan
        yield s
    db.dispose()


def _plan(session: Session, statement: sa.Select[object] | sa.CompoundSelect) -> str:
    compiled = statement.compile(dialect=session.get_bind().dialect)
    rows = session.connection().exec_driver_sql("EXPLAIN " + str(compiled), compiled.params)
    return "\n".join(r[0] for r in rows)


def _searched(session: Session) -> set[tuple[str, str]]:
    """Every (table, column) the substring searches read, from the SQL `catalogue/search.py` writes."""
    m = search.Matcher(session)
    statements = [
        search.mentioning(session, m, "tadmurak"),
        search.claimed_by(m, "amaq"),
        search.disputed_by(m, "amaq"),
        credentials.signed_by(m.contains, "amaq"),  # `search --signed-by`
        sa.select(search.Item.id).where(m.contains(search.Item.probe, "tadmurak")),  # the probe's pre-filter
    ]
    dialect = session.get_bind().dialect
    written = " ".join(str(s.compile(dialect=dialect)) for s in statements)
    return set(re.findall(r"lower\((\w+)\.(\w+)\)", written))


def test_every_searched_column_has_a_trigram_index(session: Session) -> None:
    rows = session.execute(
        sa.text("SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE '%\\_trgm'")
    ).all()
    searched = _searched(session)
    assert len(searched) >= 10
    assert {name for name, _ in rows} == {f"ix_{table}_{column}_trgm" for table, column in searched}
    assert all("gin_trgm_ops" in definition and "lower(" in definition for _, definition in rows)


def test_the_searches_use_them(session: Session) -> None:
    m = search.Matcher(session)
    by_claimant = _plan(session, search.claimed_by(m, "amaq"))
    assert "ix_acquisition_claimed_by_trgm" in by_claimant and "ix_claimant_name_trgm" in by_claimant
    by_text = _plan(session, search.mentioning(session, m, "tadmurak"))
    assert "ix_annotation_note_trgm" in by_text and "ix_claim_statement_trgm" in by_text
    # each column's condition, as the searches write it, is served by its index
    for table, column in _searched(session):
        mapped = sa.Table(table, sa.MetaData(), sa.Column(column, sa.Text))
        plan = _plan(session, sa.select(sa.literal(1)).where(m.contains(mapped.c[column], "tadmurak")))
        assert f"ix_{table}_{column}_trgm" in plan, plan
