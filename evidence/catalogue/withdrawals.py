"""Withdrawn records: a `withdrawal` row says who took a record back, when and why; the record stays as
it was. Functions take a Session and never commit."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from evidence.catalogue.annotation_models import Withdrawal


def standing(record: str, id_column: InstrumentedAttribute[int]) -> ColumnElement[bool]:
    """A condition: the record whose id is `id_column` has not been withdrawn."""
    return ~exists().where(Withdrawal.record == record, Withdrawal.record_id == id_column)


def withdrawn(record: str, id_column: InstrumentedAttribute[int]) -> ColumnElement[bool]:
    """A condition: the record whose id is `id_column` has been withdrawn."""
    return exists().where(Withdrawal.record == record, Withdrawal.record_id == id_column)


def of(session: Session, record: str, ids: Collection[int]) -> dict[int, Withdrawal]:
    """The withdrawals of these records, by record id."""
    wanted = list(ids)
    out: dict[int, Withdrawal] = {}
    for start in range(0, len(wanted), 450):
        chunk = wanted[start : start + 450]
        query = select(Withdrawal).where(Withdrawal.record == record, Withdrawal.record_id.in_(chunk))
        out.update({w.record_id: w for w in session.scalars(query)})
    return out
