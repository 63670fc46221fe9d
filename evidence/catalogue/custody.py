"""Appending to and reading the custody log. Callers own the transaction.

Every event names the machine it was made on (`host`: `socket.gethostname()`), which its hash covers.
An event that creates or changes records names them (`records=[("tag", 3)]`, `derived=[item_id]`) and
carries the digests of their state as it now stands (`"records"` and `"derived"` in its details), which
`evidence verify` compares with the database."""

from __future__ import annotations

import socket
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.catalogue import record_state
from evidence.catalogue.models import Event
from evidence.core.custody import GENESIS, ChainRecord, CustodyAction, event_hash


def now() -> datetime:
    return datetime.now(UTC)


def append(
    session: Session,
    *,
    actor: str,
    action: CustodyAction,
    subject: str,
    details: dict[str, Any],
    records: Iterable[tuple[str, int]] = (),
    derived: Iterable[int] = (),
) -> Event:
    """Append one event linked to the current head, with the digests of the records it created or
    changed and of the derived data of the items it analysed. Must run inside a write transaction."""
    refs = list(records)
    if refs:
        details = {**details, "records": record_state.digests_of(session, refs)}
    analysed = list(derived)
    if analysed:
        digests = record_state.derived_of(session, analysed)
        details = {**details, "derived": {record_state.item_key(i): d for i, d in digests.items()}}
    head = session.execute(select(Event.seq, Event.hash).order_by(Event.seq.desc()).limit(1)).first()
    seq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS)
    at = now()
    name = str(action)  # stored and hashed as its plain value
    host = socket.gethostname()
    digest = event_hash(
        seq=seq, at=at, actor=actor, action=name, subject=subject, details=details, prev=prev, host=host
    )
    row = Event(
        seq=seq,
        at=at,
        actor=actor,
        host=host,
        action=name,
        subject=subject,
        details=details,
        prev_hash=prev,
        hash=digest,
    )
    session.add(row)
    session.flush()
    return row


def head(session: Session) -> Event | None:
    return session.scalars(select(Event).order_by(Event.seq.desc()).limit(1)).first()


def records(session: Session, batch: int = 1000, after: int = 0) -> Iterator[ChainRecord]:
    """Every event (after event `after`) in sequence order, as plain records, streamed in batches."""
    columns = select(
        Event.seq,
        Event.at,
        Event.actor,
        Event.action,
        Event.subject,
        Event.details,
        Event.prev_hash,
        Event.hash,
        Event.host,
    )  # plain rows, not ORM objects: `verify` reads every event
    last = after
    while True:
        rows = session.execute(columns.where(Event.seq > last).order_by(Event.seq).limit(batch)).all()
        if not rows:
            return
        for row in rows:
            yield ChainRecord(*row)
        last = rows[-1].seq


def to_record(row: Event) -> ChainRecord:
    return ChainRecord(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        subject=row.subject,
        details=row.details,
        prev_hash=row.prev_hash,
        hash=row.hash,
        host=row.host,
    )


def events_for(session: Session, subjects: list[str]) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.subject.in_(subjects)).order_by(Event.seq)))
