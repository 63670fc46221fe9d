"""Content credentials (C2PA) recorded with items: recording what analysis read (`record`), the latest
reading per item (`latest`), its JSON shape (`as_json`), its wording for people (`sentence`) and the
`search --signed-by` query (`signed_by`). Functions take a Session and never commit.

The wording keeps apart what C2PA keeps apart: the claim signature (the manifest is as its signer
made it), the hard binding (the bytes are those the signer signed: "INVALID" means they were changed
after signing) and trust (whether the signer's certificate is on a trust list; evidence loads none, so
a certificate is never said to be trusted by it). Text from the manifest is returned as found: callers
escape it (`printable` on terminals, autoescaping in HTML)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from evidence.catalogue.among import among
from evidence.catalogue.credential_models import ContentCredential

FIELDS = (
    "signer",
    "issuer",
    "claim_generator",
    "title",
    "actions",
    "ingredients",
    "signature_valid",
    "binding_valid",
    "trusted",
    "codes",
    "problem",
)


def record(
    session: Session, item_id: int, found: dict[str, Any] | None, actor: str
) -> ContentCredential | None:
    """Record what reading the item's manifest gave, unless nothing (no manifest) or the same as the
    latest reading; the new row (flushed, with its id) or None. The caller's custody event names it."""
    if not found:
        return None
    values = {name: found.get(name) for name in FIELDS}
    before = latest(session, [item_id]).get(item_id)
    if before is not None and all(getattr(before, name) == values[name] for name in FIELDS):
        return None
    row = ContentCredential(item_id=item_id, read_at=datetime.now(UTC), read_by=actor, **values)
    session.add(row)
    session.flush()
    return row


def latest(session: Session, item_ids: Iterable[int]) -> dict[int, ContentCredential]:
    """The newest reading of each item's content credentials, for the items that have any."""
    rows = session.scalars(
        select(ContentCredential)
        .where(among(ContentCredential.item_id, set(item_ids)))
        .order_by(ContentCredential.id)
    )
    return {row.item_id: row for row in rows}


def as_json(row: ContentCredential) -> dict[str, Any]:
    """One reading as `show`, `provenance` and the report give it in JSON."""
    return {
        **{name: getattr(row, name) for name in FIELDS},
        "ai_generated": ai_generated(row),
        "summary": sentence(row),
        "read_at": row.read_at.isoformat(),
    }


def ai_generated(row: ContentCredential) -> bool:
    return any(isinstance(a, dict) and a.get("ai_generated") for a in row.actions or [])


def _action(action: dict[str, Any]) -> str:
    name = str(action.get("action") or "unnamed action")
    if action.get("ai_generated"):
        name += " (AI-generated)"
    details = [str(d) for d in (action.get("software"), action.get("description")) if d]
    return f"{name} ({', '.join(details)})" if details else name


def sentence(row: ContentCredential) -> str:
    """The reading in one line: who signed, with what, what was done, and what validates."""
    if row.problem:
        return f"content credentials unreadable: {row.problem}"
    signer = row.signer or "an unnamed signer"
    parts = [f"signed by {signer}" + (f" (issuer {row.issuer})" if row.issuer else "")]
    if row.claim_generator:
        parts[0] += f", made with {row.claim_generator}"
    if row.actions:
        parts.append("actions: " + ", ".join(_action(a) for a in row.actions if isinstance(a, dict)))
    if row.ingredients:
        names = [str(i.get("title") or "untitled") for i in row.ingredients if isinstance(i, dict)]
        parts.append("ingredients: " + ", ".join(names))
    checks = ["signature valid" if row.signature_valid else "signature INVALID"]
    if row.binding_valid is False:
        checks.append("binding INVALID: the bytes were changed after signing")
    elif row.binding_valid:
        checks.append("binding valid")
    else:
        checks.append("binding not checked")
    checks.append("certificate on a trust list" if row.trusted else "certificate not on a trust list")
    parts.append(", ".join(checks))
    return "; ".join(parts)


def signed_by(contains: Any, who: str) -> Select[Any]:
    """Items a reading of whose credentials names a signer (or its organisation) containing `who`;
    `contains(column, text)` is the search's literal, case-insensitive matcher."""
    return select(ContentCredential.item_id).where(
        or_(contains(ContentCredential.signer, who), contains(ContentCredential.issuer, who))
    )
