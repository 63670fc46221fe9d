"""Use case: `evidence export` — the catalogue's records as JSON or CSV, or a BagIt bag of the originals
with their records; each export is logged as a custody event ("export")."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evidence.catalogue import custody, queries, withdrawals
from evidence.catalogue import relations as rel_db
from evidence.catalogue.models import (
    Acquisition,
    Annotation,
    Claim,
    Claimant,
    ClaimItem,
    Description,
    Event,
    Frame,
    Item,
    Place,
    Term,
    TermAlias,
    Withdrawal,
)
from evidence.core.custody import CustodyAction
from evidence.errors import UsageError
from evidence.exports.render import records as rec
from evidence.exports.render.tables import COLUMNS, csv_bytes
from evidence.workspace import Workspace, tool_version


class ExportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


TABLES = tuple(COLUMNS)


@dataclass(frozen=True, slots=True)
class ExportResult:
    data: bytes  # the document (also what was written when `path` is set)
    path: Path | None  # None: the caller prints `data` to stdout
    sha256: str
    items: int
    event_seq: int


def gather(session: Session, refs: Sequence[str]) -> rec.Records:
    """Everything an export holds, read in one transaction: all items, or the items `refs` name and the
    records that concern them (their acquisitions, frames, tags, claims with their claimants and places,
    descriptions, relations among them, the terms these use with their ancestors, their custody events)."""
    head = custody.head(session)
    count = int(session.scalar(select(func.count()).select_from(Event)) or 0)
    if not refs:
        return rec.Records(
            chain_head=head.hash if head else None,
            event_count=count,
            refs=(),
            items=list(session.scalars(select(Item).order_by(Item.id))),
            acquisitions=list(session.scalars(select(Acquisition).order_by(Acquisition.id))),
            frames=list(session.scalars(select(Frame).order_by(Frame.item_id, Frame.idx))),
            terms=list(session.scalars(select(Term).order_by(Term.id))),
            aliases=list(session.scalars(select(TermAlias).order_by(TermAlias.id))),
            tags=list(session.scalars(select(Annotation).order_by(Annotation.id))),
            withdrawals={
                w.record_id: w for w in session.scalars(select(Withdrawal).where(Withdrawal.record == "tag"))
            },
            claimants=list(session.scalars(select(Claimant).order_by(Claimant.id))),
            places=list(session.scalars(select(Place).order_by(Place.id))),
            claims=list(session.scalars(select(Claim).order_by(Claim.id))),
            claim_items=list(session.scalars(select(ClaimItem))),
            descriptions=list(session.scalars(select(Description).order_by(Description.id))),
            relations=rel_db.states(session),
            events=list(session.scalars(select(Event).order_by(Event.seq))),
        )
    chosen = {item.id: item for item in (queries.resolve_ref(session, ref) for ref in refs)}
    ids = sorted(chosen)
    items = [chosen[i] for i in ids]
    tags = list(
        session.scalars(select(Annotation).where(Annotation.item_id.in_(ids)).order_by(Annotation.id))
    )
    descriptions = list(
        session.scalars(select(Description).where(Description.item_id.in_(ids)).order_by(Description.id))
    )
    claim_items = list(session.scalars(select(ClaimItem).where(ClaimItem.item_id.in_(ids))))
    claims = list(
        session.scalars(
            select(Claim).where(Claim.id.in_({ci.claim_id for ci in claim_items})).order_by(Claim.id)
        )
    )
    claimants = list(
        session.scalars(
            select(Claimant).where(Claimant.id.in_({c.claimant_id for c in claims})).order_by(Claimant.id)
        )
    )
    place_ids = {c.place_id for c in claims if c.place_id is not None}
    places = list(session.scalars(select(Place).where(Place.id.in_(place_ids)).order_by(Place.id)))
    terms = _terms_with_ancestors(session, {t.term_id for t in tags} | {d.term_id for d in descriptions})
    term_ids = [t.id for t in terms]
    subjects = [f"item:{item.sha256}" for item in items]
    subjects += [f"term:{i}" for i in term_ids]
    subjects += [f"claim:{c.id}" for c in claims]
    subjects += [f"claimant:{c.id}" for c in claimants] + [f"place:{p.id}" for p in places]
    return rec.Records(
        chain_head=head.hash if head else None,
        event_count=count,
        refs=tuple(refs),
        items=items,
        acquisitions=list(
            session.scalars(select(Acquisition).where(Acquisition.item_id.in_(ids)).order_by(Acquisition.id))
        ),
        frames=list(
            session.scalars(select(Frame).where(Frame.item_id.in_(ids)).order_by(Frame.item_id, Frame.idx))
        ),
        terms=terms,
        aliases=list(
            session.scalars(select(TermAlias).where(TermAlias.term_id.in_(term_ids)).order_by(TermAlias.id))
        ),
        tags=tags,
        withdrawals=withdrawals.of(session, "tag", [t.id for t in tags]),
        claimants=claimants,
        places=places,
        claims=claims,
        claim_items=claim_items,
        descriptions=descriptions,
        relations=rel_db.states(session, rel_db.STATE.c.a_id.in_(ids), rel_db.STATE.c.b_id.in_(ids)),
        events=list(session.scalars(select(Event).where(Event.subject.in_(subjects)).order_by(Event.seq))),
    )


def _terms_with_ancestors(session: Session, used: set[int]) -> list[Term]:
    """The terms `used` names and every term above them (the vocabulary is small: read it whole)."""
    every = {t.id: t for t in session.scalars(select(Term))}
    keep: set[int] = set()
    for term_id in used:
        current: int | None = term_id
        while current is not None and current not in keep and current in every:
            keep.add(current)
            current = every[current].parent_id
    return [every[i] for i in sorted(keep)]


def scope_details(records: rec.Records) -> dict[str, Any]:
    """What an export event says about what was exported."""
    if not records.refs:
        return {"scope": "all", "item_count": len(records.items)}
    return {
        "scope": "items",
        "refs": list(records.refs),
        "items": [{"id": i.id, "sha256": i.sha256} for i in records.items],
        "item_count": len(records.items),
    }


def build_document(records: rec.Records, exported_at: datetime) -> bytes:
    return rec.json_bytes(rec.document(records, exported_at=exported_at, tool_version=tool_version()))


def export_records(
    ws: Workspace,
    refs: Sequence[str],
    *,
    fmt: ExportFormat,
    table: str | None,
    output: Path | None,
    actor: str,
) -> ExportResult:
    """The records as one JSON document or one CSV table, written to `output` atomically or returned
    for the caller to print; logged as an "export" event either way."""
    if fmt is ExportFormat.JSON and table is not None:
        raise UsageError("--table chooses a CSV table: use it with --format csv")
    chosen_table = table or "items"
    if chosen_table not in COLUMNS:
        raise UsageError(f"no table {table!r}: choose one of {', '.join(TABLES)}")
    with ws.db.read() as session:
        records = gather(session, refs)
    if fmt is ExportFormat.JSON:
        data = build_document(records, custody.now())
    else:
        data = csv_bytes(records, chosen_table)
    digest = ws.write_output(data, output) if output is not None else hashlib.sha256(data).hexdigest()
    details: dict[str, Any] = {"format": fmt.value}
    if fmt is ExportFormat.CSV:
        details["table"] = chosen_table
    details |= scope_details(records)
    details |= {
        "path": str(output.resolve()) if output is not None else None,
        "destination": "file" if output is not None else "stdout",
        "sha256": digest,
        "bytes": len(data),
        "chain_head": records.chain_head,
    }
    with ws.db.write() as session:
        event = custody.append(
            session, actor=actor, action=CustodyAction.EXPORT, subject="catalogue", details=details
        )
        seq = event.seq
    return ExportResult(data, output, digest, len(records.items), seq)
