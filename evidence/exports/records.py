"""Use case: `evidence export` — the catalogue's records as JSON or CSV, or a BagIt bag of the originals
with their records; each export is logged as a custody event ("export")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from evidence.catalogue import custody
from evidence.catalogue.snapshot import Records, gather
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


def scope_details(records: Records) -> dict[str, Any]:
    """What an export event says about what was exported."""
    if not records.refs:
        return {"scope": "all", "item_count": len(records.items)}
    return {
        "scope": "items",
        "refs": list(records.refs),
        "items": [{"id": i.id, "sha256": i.sha256} for i in records.items],
        "item_count": len(records.items),
    }


def build_document(records: Records, exported_at: datetime) -> bytes:
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
    details: dict[str, Any] = {"format": fmt.value}
    if fmt is ExportFormat.CSV:
        details["table"] = chosen_table
    details |= scope_details(records)
    details |= {
        "destination": "file" if output is not None else "stdout",
        "bytes": len(data),
        "chain_head": records.chain_head,
    }
    digest, seq = ws.export(data, output, actor=actor, subject="catalogue", details=details)
    return ExportResult(data, output, digest, len(records.items), seq)
