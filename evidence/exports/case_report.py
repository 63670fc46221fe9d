"""Use case: `evidence report --case CASE -o FILE.html` — one self-contained HTML file for a whole
investigation: its items (with the footage each shares with the others), the claims about any of them
(who asserts, who disputes), what was described and what analysts observed, one timeline, fixity, and
the custody log of them all (summarised; in full in an appendix). Built from each item's provenance, as
the item report is; written outside the catalogue and logged as one export event on the case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from evidence.catalogue import cases
from evidence.catalogue.models import Frame, Item
from evidence.catalogue.provenance import provenance
from evidence.core.timeutil import iso
from evidence.errors import UsageError
from evidence.exports.render.html import first_name, render_case_report
from evidence.exports.report import copy_pictures, timeline
from evidence.workspace import Workspace, tool_version


@dataclass(frozen=True, slots=True)
class CaseReportResult:
    path: Path
    sha256: str
    size: int
    items: int


def make_case_report(ws: Workspace, case: str, output: Path, *, actor: str) -> CaseReportResult:
    with ws.db.read() as session:
        found = cases.find(session, case)
        ids = sorted(session.scalars(cases.members(found.id)))
        if not ids:
            raise UsageError(f"case {found.id} ({found.name}) holds no items yet: nothing to report")
        documents = [provenance(session, str(i), ws.store.fixity).to_json() for i in ids]
        items = {i.id: i for i in session.scalars(select(Item).where(Item.id.in_(ids)))}
        frames = {
            f.id: f
            for f in session.scalars(
                select(Frame).where(
                    Frame.item_id.in_(ids), Frame.keyframe.is_not(None), Frame.thumbnail.is_not(None)
                )
            )
        }
        name, note, case_id = found.name, found.note, found.id
    pictures = copy_pictures(ws, frames, items)
    html = render_case_report(
        case_document(case_id, name, note, documents),
        pictures=pictures,
        generated_at=iso(datetime.now(UTC)) or "",
        tool_version=tool_version(),
    )
    data = html.encode("utf-8")
    digest, _ = ws.export(
        data,
        output,
        actor=actor,
        subject=f"case:{case_id}",
        details={"format": "html-case-report", "items": ids},
    )
    return CaseReportResult(output, digest, len(data), len(ids))


def case_document(
    case_id: int, name: str, note: str | None, documents: list[dict[str, Any]]
) -> dict[str, Any]:
    """What the case report shows, from its items' provenance documents: each item with the other case
    items it shares footage with, the claims, descriptions, warnings and events of them all (each once),
    one timeline, and whether every chain and stored copy checked out."""
    ids = {d["item"]["id"] for d in documents}
    claims: dict[int, dict[str, Any]] = {}
    events: dict[int, dict[str, Any]] = {}
    warnings: dict[str, dict[str, Any]] = {}
    entries: dict[tuple[str, str], dict[str, Any]] = {}
    rows: list[dict[str, Any]] = []
    described: list[dict[str, Any]] = []
    problems: list[str] = []
    for doc in documents:
        item = doc["item"]
        rows.append(
            {
                "item": item,
                "name": first_name(doc["acquisitions"]),
                "earliest": doc["earliest"],
                "shares_with": sorted(c["id"] for c in doc["copies"] if c["id"] in ids and not c["partial"]),
                "copies": len(doc["copies"]),
                "claims": len(doc["claims"]),
                "tags": sum(1 for t in doc["tags"] if not t.get("withdrawn")),
            }
        )
        claims.update({c["id"]: c for c in doc["claims"]})
        events.update({e["seq"]: e for e in doc["events"]})
        warnings.update({w["message"]: w for w in doc["warnings"]})
        described.extend({**d, "item_id": item["id"]} for d in doc["described"])
        for entry in timeline(doc):
            entries.setdefault((entry["at"] or "", entry["what"]), entry)
        if not doc["chain"]["ok"]:
            problems.extend(doc["chain"]["problems"])
    heads = [d["chain"] for d in documents]
    return {
        "case": {"id": case_id, "name": name, "note": note},
        "items": rows,
        "claims": [claims[i] for i in sorted(claims)],
        "described": described,
        "warnings": list(warnings.values()),
        "timeline": [entries[k] for k in sorted(entries)],
        "events": [events[s] for s in sorted(events)],
        "chain": {
            "ok": not problems,
            "problems": sorted(set(problems)),
            "head": heads[-1]["head"],
            "events_checked": heads[-1]["events_checked"],
            "scope": heads[-1].get("scope"),
        },
    }
