"""`among(column, ids)`: the condition that an integer column holds one of many ids, cheap to send
however many there are. On PostgreSQL the ids go as one array parameter (`column = ANY(:ids)`), so a
search with thousands of hits sends one value instead of thousands of placeholders for psycopg to
parse; elsewhere (SQLite) they are written into the statement as integer literals when it runs
(`IN (1, 2, 3)`), which no limit on bound variables applies to. Either way the statement's compiled
form is cached like any other (the ids are its parameter). The ids are checked to be integers first.

Not a text literal cast to `bigint[]` (quicker for psycopg to send): the planner cannot fold that cast,
so the list is not a constant it can hash and every row is compared with every id (the claimants of
18,906 search hits took 40 s that way, 60-130 ms with the array)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import BigInteger, BindParameter, ColumnElement, Integer, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal


class Among(ColumnElement[bool]):
    # no Boolean type: SQLite would then compare the whole condition with 1
    inherit_cache = True
    _traverse_internals = [  # noqa: RUF012 (SQLAlchemy's own declaration: a list on the class)
        ("column", InternalTraversal.dp_clauseelement),
        ("listed", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: ColumnElement[Any], ids: Iterable[int]) -> None:
        self.column = column
        values = sorted({_integer(i) for i in ids})
        # one parameter, expanded into literals on SQLite, sent as an array on PostgreSQL
        self.listed: BindParameter[Any] = bindparam(
            None, values, type_=Integer(), expanding=True, literal_execute=True
        )


def _integer(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"among() takes integer ids, not {type(value).__name__}")
    return int(value)


def among(column: Any, ids: Iterable[int]) -> ColumnElement[bool]:
    """`column IN ids`, with no bound parameter per id (an empty list matches nothing)."""
    return Among(column, ids)


@compiles(Among)
def _written(element: Among, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.column.in_(element.listed), **kw))


@compiles(Among, "postgresql")
def _array(element: Among, compiler: Any, **kw: Any) -> str:
    listed = element.listed
    as_array = bindparam(listed.key, listed.value, type_=ARRAY(BigInteger()), unique=False)
    as_array._orig_key = listed._orig_key  # the same parameter: a cached statement binds the new ids
    return str(compiler.process(element.column == any_(as_array), **kw))
