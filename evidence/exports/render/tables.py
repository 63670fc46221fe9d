"""Catalogue records as CSV tables, one table per file (RFC 4180: a header row, CRLF line ends, quoted
where needed, UTF-8).

Cells written from text are neutralised against formula injection (OWASP "CSV injection",
`evidence.core.csvsafe`): a single quote goes in front of a cell a spreadsheet would read as a formula
(after any whitespace, NBSP and fullwidth forms included, or starting with a tab or a carriage return)
and in front of a formula character that follows a `,` or `;` inside it. Numbers the catalogue holds as
numbers (a negative longitude, a score) are written as numbers: they cannot carry a formula. Nested
values (probe metadata, match evidence, event details) are compact, valid JSON in one cell.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from evidence.catalogue.snapshot import Records
from evidence.catalogue.views import item_dict
from evidence.core.csvsafe import json_cell, row
from evidence.core.csvsafe import neutralise as neutralise  # re-exported: the cell rule lives there
from evidence.core.timeutil import iso
from evidence.exports.render.records import (
    Index,
    acquisition_record,
    claim_record,
    description_record,
    event_record,
    frame_record,
    grouped,
    tag_record,
    term_record,
)


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime):
        return iso(value) or ""
    if isinstance(value, dict | list):
        return json_cell(value)
    return neutralise(str(value))


Row = dict[str, Any]
TableFn = Callable[[Records, Index], Iterator[Row]]


def _items(records: Records, index: Index) -> Iterator[Row]:
    first_name: dict[int, str] = {}
    for acq in records.acquisitions:
        if acq.id not in index.acquisition_withdrawals:
            first_name.setdefault(acq.item_id, acq.original_name)
    for item in records.items:
        base = item_dict(item, original_name=first_name.get(item.id))
        yield {**base, "summary": item.summary, "probe": item.probe}


def _acquisitions(records: Records, index: Index) -> Iterator[Row]:
    for acq in records.acquisitions:
        yield {"id": acq.id, "item_id": acq.item_id, "item_sha256": index.sha(acq.item_id)} | {
            k: v for k, v in acquisition_record(acq, index).items() if k != "id"
        }


def _frames(records: Records, index: Index) -> Iterator[Row]:
    for frame in records.frames:
        yield {"item_id": frame.item_id, "item_sha256": index.sha(frame.item_id), **frame_record(frame)}


def _tags(records: Records, index: Index) -> Iterator[Row]:
    for tag in records.tags:
        rec = tag_record(tag, index)
        box = rec.pop("box") or {}
        term = rec.pop("term")
        yield {
            "id": tag.id,
            "item_id": tag.item_id,
            "item_sha256": index.sha(tag.item_id),
            "term_id": term["id"],
            "term_path": term["path"],
            **{k: v for k, v in rec.items() if k != "id"},
            **{f"box_{k}": box.get(k) for k in ("x", "y", "w", "h")},
        }


def _claims(records: Records, index: Index) -> Iterator[Row]:
    for claim in records.claims:
        rec = claim_record(claim, index)
        place = rec.pop("place") or {}
        claimant = rec.pop("claimant")
        item_ids = rec.pop("item_ids")
        yield {
            "id": claim.id,
            "item_ids": " ".join(str(i) for i in item_ids),
            "item_sha256s": " ".join(index.sha(i) or "" for i in item_ids),
            "claimant_id": claimant["id"],
            "claimant": claimant["name"],
            **{k: v for k, v in rec.items() if k != "id"},
            "place_id": place.get("id"),
            "place": place.get("name"),
            "latitude": place.get("latitude"),
            "longitude": place.get("longitude"),
            "place_precision": place.get("precision"),
        }


def _descriptions(records: Records, index: Index) -> Iterator[Row]:
    for desc in records.descriptions:
        rec = description_record(desc, index)
        term = rec.pop("term")
        yield {
            "id": desc.id,
            "item_id": desc.item_id,
            "item_sha256": index.sha(desc.item_id),
            "term_id": term["id"],
            "term_path": term["path"],
            **{k: v for k, v in rec.items() if k != "id"},
        }


def _terms(records: Records, index: Index) -> Iterator[Row]:
    aliases = grouped(records.aliases, lambda a: a.term_id)
    for term in records.terms:
        rec = term_record(term, aliases.get(term.id, []), index)
        rec["aliases"] = "; ".join(
            f"{a['alias']} [{a['language']}]" if a["language"] else a["alias"] for a in rec["aliases"]
        )
        yield rec


def _relations(records: Records, index: Index) -> Iterator[Row]:
    for rel in records.relations:
        yield {
            "id": rel.id,
            "a_id": rel.a_id,
            "a_sha256": index.sha(rel.a_id),
            "b_id": rel.b_id,
            "b_sha256": index.sha(rel.b_id),
            "kind": rel.kind,
            "status": rel.status,
            "score": rel.score,
            "matcher": rel.matcher,
            "evidence": rel.evidence,
            "created_at": rel.created_at,
            "decided_at": rel.decided_at,
            "decided_by": rel.decided_by,
            "note": rel.note,
        }


def _events(records: Records, index: Index) -> Iterator[Row]:
    for event in records.events:
        yield event_record(event)


TABLES: dict[str, TableFn] = {
    "items": _items,
    "acquisitions": _acquisitions,
    "frames": _frames,
    "tags": _tags,
    "claims": _claims,
    "descriptions": _descriptions,
    "terms": _terms,
    "relations": _relations,
    "events": _events,
}


# fmt: off
COLUMNS: dict[str, tuple[str, ...]] = {
    "items": (
        "id", "sha256", "size", "kind", "mime", "declared_ext", "analysis", "first_catalogued_at",
        "analysed_at", "duration", "original_name", "summary", "probe",
    ),
    "acquisitions": (
        "id", "item_id", "item_sha256", "original_name", "original_path", "source_url", "posted_at",
        "posted_at_precision", "captured_at", "claimed_by", "collected_by", "note", "tool_version",
        "source_mtime", "withdrawn", "withdrawn_at", "withdrawn_by", "withdrawn_note",
    ),
    "frames": (
        "id", "item_id", "item_sha256", "index", "pts", "time", "sampled", "keyframe", "cut_score",
        "quality", "flat", "thumbnail",
    ),
    "tags": (
        "id", "item_id", "item_sha256", "term_id", "term_path", "frame_id", "frame_index", "t_start",
        "t_end", "box_x", "box_y", "box_w", "box_h", "frame_width", "frame_height", "media_fragment",
        "confidence", "source", "annotator", "note", "created_at", "withdrawn", "withdrawn_at",
        "withdrawn_by", "withdrawn_note",
    ),
    "claims": (
        "id", "item_ids", "item_sha256s", "claimant_id", "claimant", "statement", "said_on",
        "said_on_precision", "claimed_date", "claimed_date_precision", "place_id", "place", "latitude",
        "longitude", "place_precision", "url", "language", "counters_id", "created_at", "created_by",
        "withdrawn", "withdrawn_at", "withdrawn_by", "withdrawn_note",
    ),
    "descriptions": (
        "id", "item_id", "item_sha256", "term_id", "term_path", "claim_id", "source", "note",
        "created_at", "created_by",
    ),
    "terms": ("id", "parent_id", "label", "path", "free", "note", "aliases", "created_at", "created_by"),
    "relations": (
        "id", "a_id", "a_sha256", "b_id", "b_sha256", "kind", "status", "score", "matcher", "evidence",
        "created_at", "decided_at", "decided_by", "note",
    ),
    "events": ("seq", "at", "actor", "host", "action", "subject", "details", "prev_hash", "hash"),
}
# fmt: on


def table_rows(records: Records, table: str) -> Iterator[Row]:
    return TABLES[table](records, Index(records))


def csv_bytes(records: Records, table: str) -> bytes:
    """One table as CSV (RFC 4180: a header row, CRLF line ends, quoted where needed), UTF-8."""
    columns = COLUMNS[table]
    lines = [row(columns)]
    lines.extend(row(csv_cell(record.get(name)) for name in columns) for record in table_rows(records, table))
    return "".join(lines).encode("utf-8")
