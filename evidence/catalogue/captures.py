"""Read model: the captures an item came from or belongs to (as a captured media file, or as the
page snapshot, screenshot or metadata file of a capture), with what the platform said of the post."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from evidence.catalogue.among import among
from evidence.catalogue.capture_models import Capture, CaptureMedia
from evidence.catalogue.models import Item
from evidence.core.names import GENERIC_EXTRACTORS
from evidence.core.timeutil import iso
from evidence.store.base import ObjectStore

# what the metadata file's platform section says that an investigator reads first
PLATFORM_KEYS = ("extractor", "id", "uploader", "channel", "upload_date", "timestamp", "title", "description")
PLATFORM_COUNTS = ("view_count", "like_count", "comment_count", "repost_count")
METADATA_LIMIT = 32 << 20  # a metadata file larger than this is not read for display


@dataclass(frozen=True)
class CaptureView:
    capture: Capture
    role: str  # "media", "page", "screenshot" or "metadata": what the item is to this capture
    page: Item | None
    screenshot: Item | None
    metadata: Item | None
    media: list[Item]
    platform: dict[str, Any]  # from the metadata file: the keys above that it has

    def to_json(self) -> dict[str, Any]:
        c = self.capture
        return {
            "id": c.id,
            "role": self.role,
            "url": c.url,
            "final_url": c.final_url,
            "http_status": c.http_status,
            "outcome": c.outcome,
            "problem": c.problem,
            "platform": c.platform,
            "captured_at": iso(c.captured_at),
            "collected_by": c.collected_by,
            "note": c.note,
            "page": _ref(self.page),
            "screenshot": _ref(self.screenshot),
            "metadata": _ref(self.metadata),
            "media": [_ref(m) for m in self.media],
            "platform_metadata": self.platform,
        }


def _ref(item: Item | None) -> dict[str, Any] | None:
    return None if item is None else {"id": item.id, "sha256": item.sha256}


def captures_of(session: Session, item_id: int, store: ObjectStore | None = None) -> list[CaptureView]:
    """Every capture the item is part of, oldest first; `store` lets the platform's metadata be read."""
    as_media = select(CaptureMedia.capture_id).where(CaptureMedia.item_id == item_id)
    query = select(Capture).where(
        or_(
            Capture.id.in_(as_media),
            Capture.page_item_id == item_id,
            Capture.screenshot_item_id == item_id,
            Capture.metadata_item_id == item_id,
        )
    )
    captures = session.scalars(query.order_by(Capture.id))
    return [_view(session, capture, _role(capture, item_id), store) for capture in captures]


def media_captures(
    session: Session, item_ids: list[int], store: ObjectStore | None = None
) -> list[tuple[CaptureView, list[int]]]:
    """The captures that gave any of these items as their media, oldest first, each with the items of
    these it gave (in the order given)."""
    rows = session.execute(
        select(CaptureMedia.capture_id, CaptureMedia.item_id).where(among(CaptureMedia.item_id, item_ids))
    ).all()
    gave: dict[int, set[int]] = {}
    for capture_id, item_id in rows:
        gave.setdefault(capture_id, set()).add(item_id)
    out = []
    for capture_id in sorted(gave):
        capture = session.get_one(Capture, capture_id)
        media = [i for i in item_ids if i in gave[capture_id] and _role(capture, i) == "media"]
        if media:
            out.append((_view(session, capture, "media", store), media))
    return out


def _role(capture: Capture, item_id: int) -> str:
    """What the item is to this capture."""
    if capture.page_item_id == item_id:
        return "page"
    if capture.screenshot_item_id == item_id:
        return "screenshot"
    if capture.metadata_item_id == item_id:
        return "metadata"
    return "media"


def _view(session: Session, capture: Capture, role: str, store: ObjectStore | None) -> CaptureView:
    media_ids = session.scalars(
        select(CaptureMedia.item_id).where(CaptureMedia.capture_id == capture.id).order_by(CaptureMedia.id)
    ).all()
    metadata = session.get(Item, capture.metadata_item_id) if capture.metadata_item_id else None
    return CaptureView(
        capture=capture,
        role=role,
        page=session.get(Item, capture.page_item_id) if capture.page_item_id else None,
        screenshot=session.get(Item, capture.screenshot_item_id) if capture.screenshot_item_id else None,
        metadata=metadata,
        media=[m for i in media_ids if (m := session.get(Item, i)) is not None],
        platform=_platform(store, metadata),
    )


def _platform(store: ObjectStore | None, metadata: Item | None) -> dict[str, Any]:
    """The platform's own words about the post, read from the preserved metadata file (it is data:
    shown as text, never trusted as markup)."""
    if store is None or metadata is None or metadata.size > METADATA_LIMIT:
        return {}
    try:
        document = json.loads(store.read_bytes(metadata.sha256))
    except (OSError, ValueError):
        return {}
    platform = document.get("platform") if isinstance(document, dict) else None
    if not isinstance(platform, dict):
        return {}
    keys = [*PLATFORM_KEYS, *PLATFORM_COUNTS]
    if platform.get("extractor_key") in GENERIC_EXTRACTORS or platform.get("extractor") in GENERIC_EXTRACTORS:
        keys = [k for k in keys if k not in ("upload_date", "timestamp")]  # a web server's Last-Modified
    kept = {k: platform[k] for k in keys if platform.get(k) not in (None, "")}
    return {k: v for k, v in kept.items() if isinstance(v, str | int | float)}
