"""Withdrawn records: a `withdrawal` row says who took a record back, when and why; the record stays as
it was. Functions take a Session and never commit."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from evidence.catalogue import custody
from evidence.catalogue.annotation_models import Withdrawal
from evidence.core.text import printable
from evidence.core.timeutil import iso
from evidence.errors import UsageError


def standing(record: str, id_column: InstrumentedAttribute[int]) -> ColumnElement[bool]:
    """A condition: the record whose id is `id_column` has not been withdrawn."""
    return ~exists().where(Withdrawal.record == record, Withdrawal.record_id == id_column)


def withdrawn(record: str, id_column: InstrumentedAttribute[int]) -> ColumnElement[bool]:
    """A condition: the record whose id is `id_column` has been withdrawn."""
    return exists().where(Withdrawal.record == record, Withdrawal.record_id == id_column)


def of(session: Session, record: str, ids: Collection[int] | None) -> dict[int, Withdrawal]:
    """The withdrawals of these records (`None`: of every record of this kind), by record id."""
    if ids is None:
        rows = session.scalars(select(Withdrawal).where(Withdrawal.record == record))
        return {w.record_id: w for w in rows}
    wanted = list(ids)
    out: dict[int, Withdrawal] = {}
    for start in range(0, len(wanted), 450):
        chunk = wanted[start : start + 450]
        query = select(Withdrawal).where(Withdrawal.record == record, Withdrawal.record_id.in_(chunk))
        out.update({w.record_id: w for w in session.scalars(query)})
    return out


def take_back(session: Session, record: str, record_id: int, *, actor: str, note: str | None) -> Withdrawal:
    """Withdraw one record (who, when, why), refused when it was withdrawn already. The caller logs it."""
    earlier = of(session, record, [record_id]).get(record_id)
    if earlier is not None:
        raise UsageError(
            f"{record} {record_id} was already withdrawn at {iso(earlier.withdrawn_at)} by "
            f"{printable(earlier.withdrawn_by)}"
        )
    row = Withdrawal(
        record=record, record_id=record_id, withdrawn_at=custody.now(), withdrawn_by=actor, note=note
    )
    session.add(row)
    session.flush()
    return row
