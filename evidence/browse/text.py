"""Use case: `evidence ocr` — the text read in an item's frames: what analysis kept from its keyframes,
or frames read now (`--at T`, `--keyframes`), each new reading kept with a `read-text` custody event."""

from __future__ import annotations

from dataclasses import dataclass, field

from evidence.analysis.pipeline import base_timeout
from evidence.analysis.text import read_item_text
from evidence.analysis.worker import Worker, WorkerFailure
from evidence.catalogue.frametext import readings, word
from evidence.catalogue.models import FrameText, Item
from evidence.catalogue.queries import resolve_ref
from evidence.core.box import Box
from evidence.core.types import MediaKind
from evidence.errors import EnvironmentFailure, UsageError
from evidence.media import ocr
from evidence.workspace import Workspace


@dataclass
class ItemText:
    item: Item
    readings: list[FrameText]
    failed: list[str] = field(default_factory=list)
    absent: str | None = None  # why no text is read here (no Tesseract), when nothing was asked to be read
    read_now: bool = False


def item_text(ws: Workspace, ref: str, *, at: list[float], keyframes: bool, actor: str) -> ItemText:
    with ws.db.read() as session:
        item = resolve_ref(session, ref)
        stored = readings(session, item.id)
        session.expunge_all()
    if not at and not keyframes:
        return ItemText(item, stored, absent=None if ocr.engine() else ocr.absent_reason())
    if item.kind not in (MediaKind.VIDEO, MediaKind.IMAGE) or item.analysis != "ok":
        raise UsageError(f"item {item.id} is not an analysed video or image: no frames to read")
    if at and item.kind != MediaKind.VIDEO:
        raise UsageError(f"item {item.id} is an image: read it without --at")
    if ocr.engine() is None:
        raise EnvironmentFailure(ocr.absent_reason())
    try:
        with Worker() as worker:
            outcome = read_item_text(
                ws,
                worker,
                item.id,
                actor=actor,
                timeout=base_timeout(),
                times=at or None,
                via="evidence ocr",
            )
    except WorkerFailure as exc:
        raise EnvironmentFailure(f"the text of item {item.id} could not be read: {exc}") from exc
    with ws.db.read() as session:
        fresh = readings(session, item.id, outcome.kept) if outcome.kept else []
        session.expunge_all()
    return ItemText(item, fresh, failed=outcome.failed, read_now=True)


def word_box(ws: Workspace, ref: str, spec: str) -> tuple[float | None, Box, str]:
    """The time and box of a word read in one of the item's frames (`tag --word R.N`), and the word."""
    with ws.db.read() as session:
        item = resolve_ref(session, ref)
        t, (x, y, w, h), text = word(session, item.id, spec)
    return t, Box(x, y, max(1, w), max(1, h)), text
