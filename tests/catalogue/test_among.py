"""`among(column, ids)` selects exactly the rows whose id is listed, on both backends: thousands of ids
(beyond SQLite's old limit of 999 bound variables), none, repeats, negated and combined, and the same
statement run again with other ids (its compiled form is cached: the ids must not stick to it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from conftest import pg_url, reset_postgres

from evidence.catalogue.among import among

TABLE = sa.Table("among_probe", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True))


def _urls() -> list[object]:
    url = pg_url()
    skip = pytest.mark.skip(reason="no PostgreSQL server configured (set EVIDENCE_TEST_DATABASE_URL)")
    return ["sqlite://", pytest.param(url or "", id="postgresql", marks=() if url else skip)]


@pytest.fixture(params=_urls())
def engine(request: pytest.FixtureRequest) -> Iterator[sa.Engine]:
    url = request.param
    if url.startswith("postgresql"):
        reset_postgres(url)
    made = sa.create_engine(url)
    TABLE.metadata.create_all(made)
    with made.begin() as conn:
        conn.execute(TABLE.insert(), [{"id": i} for i in range(1, 5001)])
    yield made
    made.dispose()


def _ids(conn: sa.Connection, where: sa.ColumnElement[bool]) -> list[int]:
    return sorted(conn.execute(sa.select(TABLE.c.id).where(where)).scalars())


def test_among_selects_exactly_the_listed_ids(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        for ids in ([1, 2], [4999], [], list(range(1, 4001)), [7, 7, 4999, 9999]):
            wanted = sorted({i for i in ids if i <= 5000})
            assert _ids(conn, among(TABLE.c.id, ids)) == wanted
            either = sa.or_(among(TABLE.c.id, ids), among(TABLE.c.id, [4500]))
            assert _ids(conn, either) == sorted({*wanted, 4500})
            assert _ids(conn, sa.and_(~among(TABLE.c.id, ids), TABLE.c.id < 10)) == [
                i for i in range(1, 10) if i not in ids
            ]


def test_among_takes_integers_only() -> None:
    for bad in (["1"], [1.5], [True], ["1); DROP TABLE item; --"]):
        with pytest.raises(TypeError):
            among(TABLE.c.id, bad)  # type: ignore[list-item]
