"""Use case: analyse preserved items (probe for now) in an isolated worker, one transaction each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from evidence.catalogue import custody
from evidence.catalogue.models import Item
from evidence.core.types import AnalysisStatus, MediaKind
from evidence.worker import DEFAULT_TIMEOUT, Worker, WorkerFailure
from evidence.workspace import Workspace


def _claims_media(declared_ext: str) -> bool:
    from evidence.media.extensions import mime_for_extension

    mime = mime_for_extension(declared_ext) if declared_ext else None
    return mime is not None and mime.split("/")[0] in ("video", "audio", "image")


def probe_job(path: str) -> dict[str, Any]:
    """Runs inside the worker process: probe one stored object."""
    from evidence.media.probe import probe

    result = probe(Path(path))
    return {
        "kind": result.kind.value,
        "mime": result.mime,
        "metadata": result.metadata,
        "error": result.error,
    }


@dataclass(frozen=True, slots=True)
class AnalysisOutcome:
    item_id: int
    sha256: str
    status: AnalysisStatus
    kind: MediaKind


def _judge(probed: dict[str, Any], declared_ext: str) -> AnalysisStatus:
    if probed.get("error"):
        return AnalysisStatus.failed(str(probed["error"]))
    if probed.get("kind") == MediaKind.OTHER.value and _claims_media(declared_ext):
        detected = probed.get("mime") or "unknown content"
        return AnalysisStatus.failed(f"not a media file: content is {detected}, name says .{declared_ext}")
    return AnalysisStatus.ok()


def analyse(ws: Workspace, worker: Worker, item_id: int, *, actor: str) -> AnalysisOutcome:
    with ws.db.read() as session:
        item = session.get_one(Item, item_id)
        sha256, declared_ext, kind = item.sha256, item.declared_ext, MediaKind(item.kind)
    path = ws.store.path_for(sha256)
    probed: dict[str, Any] | None
    try:
        probed = worker.call("evidence.analysis:probe_job", str(path), timeout=DEFAULT_TIMEOUT)
        status = _judge(probed, declared_ext)
    except WorkerFailure as failure:
        probed, status = None, AnalysisStatus.failed(failure.reason)
    with ws.db.write() as session:
        item = session.get_one(Item, item_id)
        if probed is not None:
            item.kind = str(probed["kind"])
            item.mime = probed.get("mime") or item.mime
            item.probe = probed.get("metadata") or {}
        item.analysis = str(status)
        item.analysed_at = datetime.now(UTC)
        kind = MediaKind(item.kind)
        custody.append(
            session,
            actor=actor,
            action="analyse",
            subject=f"item:{sha256}",
            details={"status": str(status), "kind": item.kind, "mime": item.mime, "step": "probe"},
        )
    return AnalysisOutcome(item_id, sha256, status, kind)


def select_items(
    ws: Workspace, *, refs_ids: list[int], pending: bool, failed: bool, everything: bool
) -> list[int]:
    with ws.db.read() as session:
        query = select(Item.id).order_by(Item.id)
        if everything:
            return list(session.scalars(query))
        ids = set(refs_ids)
        if pending:
            ids.update(session.scalars(query.where(Item.analysis == "pending")))
        if failed:
            ids.update(session.scalars(query.where(Item.analysis.like("failed:%"))))
        return sorted(ids)
