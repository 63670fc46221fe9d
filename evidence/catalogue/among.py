"""`among(column, ids)`: the condition that an integer column holds one of many ids, cheap to send
however many there are. On PostgreSQL the ids go as one array parameter (`column = ANY(:ids)`, sent as
one text literal that the server casts), so a search with thousands of hits sends one value instead of
thousands for psycopg to adapt; elsewhere (SQLite) they are written into the statement as integer
literals when it runs (`IN (1, 2, 3)`), which no limit on bound variables applies to. Either way the
statement's compiled form is cached like any other (the ids are its parameter). The ids are checked to
be integers first."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    BigInteger,
    BindParameter,
    ColumnElement,
    Integer,
    Text,
    TypeDecorator,
    any_,
    bindparam,
    cast,
)
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


class _IdArray(TypeDecorator[list[int]]):
    """The ids sent as one array literal in text (`{1,2,3}`), cast to `bigint[]` by the server: psycopg
    would otherwise adapt each of thousands of Python integers on its own, several times slower."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: list[int] | None, dialect: Any) -> str | None:
        return None if value is None else "{" + ",".join(map(str, value)) + "}"

    def bind_expression(self, bindvalue: Any) -> Any:
        return cast(bindvalue, ARRAY(BigInteger()))


@compiles(Among, "postgresql")
def _array(element: Among, compiler: Any, **kw: Any) -> str:
    listed = element.listed
    as_array = bindparam(listed.key, listed.value, type_=_IdArray(), unique=False)
    as_array._orig_key = listed._orig_key  # the same parameter: a cached statement binds the new ids
    return str(compiler.process(element.column == any_(as_array), **kw))
