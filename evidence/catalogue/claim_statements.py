"""The step of `evidence db upgrade` across schema 0007, which gave claims the time they were said
(`said_on`) and moved a counter-claim's one date there (see migrations/versions/0007_claim_said_on.py).

Every claim's state gains two columns, so its digest changes even where its values do not. Before the
migration, each claim is compared with the digest the custody log last recorded for it (the columns of
schema 0006); after it, one `upgrade` event records the new digest of each claim that matched, and
names the counter-claims whose date was moved. A claim that did not match (edited behind the tool's
back) is not vouched for: `verify` keeps reporting it. The caller owns the transactions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Table, select
from sqlalchemy.orm import Session

from evidence.catalogue import custody, record_state
from evidence.catalogue.annotation_models import Claim
from evidence.catalogue.claims import date_text
from evidence.catalogue.seal import DIGESTS_PER_EVENT, SEALED_AT
from evidence.core.custody import CustodyAction
from evidence.core.record_digest import Ledger, record_digest, record_key

SAID_ON_SCHEMA = "0007"
ADDED = ("said_on", "said_on_precision")  # the columns schema 0007 gave `claim`


def due(schema_before: str | None) -> bool:
    """Whether an upgrade from this schema must carry the claims' digests across 0007 (before 0005 no
    event carried digests, and the seal that follows the upgrade records every record)."""
    return schema_before is not None and SEALED_AT <= schema_before < SAID_ON_SCHEMA


def columns_before() -> list[Column[Any]]:
    """The columns of `claim` as schema 0006 had them."""
    table: Table = Claim.__table__  # type: ignore[assignment]
    return [c for c in table.columns if c.name not in ADDED]


def matching_claims(session: Session) -> set[int]:
    """Before the migration: the ids of the claims whose state (schema 0006's columns) is the one the
    custody log last recorded for them."""
    ledger = Ledger()
    for event in custody.records(session):
        ledger.note(event.seq, event.subject, event.details)
    columns = columns_before()
    rows = session.execute(select(*columns).order_by(Claim.id)).mappings().all()
    items = record_state.claim_items(session, [r["id"] for r in rows])
    out = set()
    for row in rows:
        state = {**record_state.row_state(columns, row), "items": items[row["id"]]}
        logged = ledger.records.get(record_key("claim", row["id"]))
        if logged is not None and logged[1] == record_digest("claim", state):
            out.add(row["id"])
    return out


def vouch(session: Session, matching: set[int], *, actor: str, reason: str) -> int:
    """After the migration: one `upgrade` event with the new digests of the claims that matched before,
    naming the counter-claims whose date became the time they were said (several events for many
    claims, as a seal). Returns how many counter-claims' dates were moved."""
    moved = [
        {"claim": c.id, "said_on": date_text(c.said_on, c.said_on_precision)}
        for c in session.scalars(
            select(Claim).where(Claim.counters_id.is_not(None), Claim.said_on.is_not(None)).order_by(Claim.id)
        )
    ]
    ids = sorted(matching)
    chunks = [ids[i : i + DIGESTS_PER_EVENT] for i in range(0, len(ids), DIGESTS_PER_EVENT)] or [[]]
    for n, chunk in enumerate(chunks):
        details: dict[str, Any] = {"reason": reason, "schema": SAID_ON_SCHEMA}
        if n == 0:
            details["said_on_moved"] = moved
        custody.append(
            session,
            actor=actor,
            action=CustodyAction.UPGRADE,
            subject="catalogue",
            details=details,
            records=[("claim", i) for i in chunk],
        )
    return len(moved)
