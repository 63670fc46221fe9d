"""Recording a preserved file: its item (when its bytes are new), the acquisition and their custody
events, inside the caller's write transaction (so that `capture` records a page and its media at once)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.catalogue import custody
from evidence.catalogue.models import Acquisition, Item
from evidence.core.custody import CustodyAction
from evidence.core.timeutil import Instant
from evidence.core.types import AnalysisStatus
from evidence.media.probe.sniff import declared_extension, sniff
from evidence.store.base import Stored
from evidence.workspace import Workspace, tool_version

SNIFF_BYTES = 8192


@dataclass(frozen=True, slots=True)
class Origin:
    """Where the bytes were, as the acquisition records it: the file's name and path (a link, for a
    capture), and what its source says about it."""

    name: str
    path: str
    path_raw: bytes | None = None
    source_url: str | None = None
    posted_at: Instant | None = None
    claimed_by: str | None = None
    collected_by: str | None = None
    note: str | None = None


def record_in(
    session: Session,
    ws: Workspace,
    stored: Stored,
    origin: Origin,
    *,
    actor: str,
    captured: datetime | None = None,
    extra: Mapping[str, Any] | None = None,
) -> tuple[Item, Acquisition, bool]:
    """The item (made when new, with its `preserve` event) and a new acquisition with its `acquire`
    event; returns them and whether the item is new. `extra` is added to the acquire event's details."""
    with ws.store.open(stored.sha256) as handle:
        head = handle.read(SNIFF_BYTES)
    sniffed = sniff(head, origin.name)
    captured = captured or datetime.now(UTC)
    subject = f"item:{stored.sha256}"
    item = session.scalars(select(Item).where(Item.sha256 == stored.sha256)).first()
    new = item is None
    if item is None:
        item = Item(
            sha256=stored.sha256,
            size=stored.size,
            kind=sniffed.kind.value,
            mime=sniffed.mime,
            declared_ext=declared_extension(origin.name),
            analysis=str(AnalysisStatus.pending()),
            first_catalogued_at=captured,
        )
        session.add(item)
        session.flush()
        custody.append(
            session,
            actor=actor,
            action=CustodyAction.PRESERVE,
            subject=subject,
            details={"sha256": stored.sha256, "size": stored.size, "store": "objects"},
            records=[("item", item.id)],
        )
    posted = origin.posted_at
    acquisition = Acquisition(
        item_id=item.id,
        original_name=origin.name,
        original_path=origin.path,
        original_path_raw=origin.path_raw,
        source_url=origin.source_url,
        posted_at=posted.at if posted else None,
        posted_at_precision=posted.precision if posted else None,
        captured_at=captured,
        claimed_by=origin.claimed_by,
        collected_by=origin.collected_by,
        note=origin.note,
        tool_version=tool_version(),
        source_mtime=datetime.fromtimestamp(stored.mtime_ns / 1e9, UTC),
    )
    session.add(acquisition)
    session.flush()
    custody.append(
        session,
        actor=actor,
        action=CustodyAction.ACQUIRE,
        subject=subject,
        details={
            "acquisition": acquisition.id,
            "original_path": origin.path,
            "source_url": origin.source_url,
            "posted_at": posted.at.isoformat() if posted else None,
            "claimed_by": origin.claimed_by,
            "collected_by": origin.collected_by,
            "note": origin.note,
            "duplicate": not new,
            **(extra or {}),
        },
        records=[("acquisition", acquisition.id)],
    )
    return item, acquisition, new
