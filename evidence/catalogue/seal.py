"""Sealing: custody events that record the digest of every record's current state, for a catalogue made
before events carried digests (`evidence db upgrade` across schema 0005). From the seal on, `verify`
compares each record with the chain; what happened before it is vouched for only by the older events.
The caller owns the transaction."""

from __future__ import annotations

from itertools import islice
from typing import Any

from sqlalchemy.orm import Session

from evidence.catalogue import custody, record_state
from evidence.core.custody import CustodyAction
from evidence.core.record_digest import EMPTY_DERIVED

DIGESTS_PER_EVENT = 500
SEALED_AT = "0005"  # the schema from which every event carries the digests of what it records


def due(schema_before: str | None) -> bool:
    """Whether a catalogue whose schema was at `schema_before` has records no event vouches for."""
    return schema_before is not None and schema_before < SEALED_AT


def seal(session: Session, *, actor: str, reason: str) -> int:
    """Append `seal` events covering every record and every item's derived data; returns how many."""
    events = 0
    records = record_state.all_digests(session)
    while chunk := dict(islice(records, DIGESTS_PER_EVENT)):
        events += _append(session, actor, reason, {"records": chunk})
    derived = (
        (record_state.item_key(i), d) for i, d in record_state.all_derived(session) if d != EMPTY_DERIVED
    )
    while chunk := dict(islice(derived, DIGESTS_PER_EVENT)):
        events += _append(session, actor, reason, {"derived": chunk})
    return events


def _append(session: Session, actor: str, reason: str, digests: dict[str, Any]) -> int:
    custody.append(
        session,
        actor=actor,
        action=CustodyAction.SEAL,
        subject="catalogue",
        details={"reason": reason, "count": len(next(iter(digests.values()))), **digests},
    )
    return 1
