"""Text in frames: an item's keyframes (or an image, or the frames shown at given times) decoded in the
worker at full size and read by Tesseract (`media.ocr`), each picture with words kept as a
`frame_text` record, all of one reading under one `read-text` custody event.

Analysis reads the keyframes of every video and every image it analyses (`pipeline.analyse`), when
Tesseract and one of the languages asked for are installed; where they are not, the analysis is the
same and `evidence ocr` says why nothing is read. `evidence ocr REF --at T` reads any frame on demand.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.analysis import jobs
from evidence.analysis.worker import Worker
from evidence.catalogue import custody
from evidence.catalogue.models import Frame, FrameText, Item
from evidence.core.custody import CustodyAction
from evidence.core.types import MediaKind
from evidence.media import ocr
from evidence.workspace import Workspace

MAX_KEYFRAMES = 200  # a long video's keyframes beyond these are read on demand (`evidence ocr --at`)


@dataclass
class TextOutcome:
    read: int = 0  # pictures read
    kept: list[int] = field(default_factory=list)  # frame_text ids: the pictures with words
    failed: list[str] = field(default_factory=list)  # "at 3.00 s: reason"
    skipped: str | None = None  # why nothing was read (no Tesseract, not a picture)


def _times(session: Session, item_id: int, times: list[float] | None) -> list[float]:
    """The times to read: those given, else the keyframes'."""
    if times is not None:
        return sorted(set(times))
    keyframes = session.scalars(
        select(Frame.t).where(Frame.item_id == item_id, Frame.keyframe.is_not(None)).order_by(Frame.t)
    )
    return [float(t) for t in keyframes][:MAX_KEYFRAMES]


def _read_before(session: Session, item_id: int, engine: ocr.Engine) -> bool:
    """Whether a reading of this item by the same Tesseract and languages is kept (analysing it again
    does not read its keyframes again; `evidence ocr --keyframes` does)."""
    found = session.scalar(
        select(FrameText.id)
        .where(
            FrameText.item_id == item_id,
            FrameText.engine == engine.version,
            FrameText.languages == engine.languages,
        )
        .limit(1)
    )
    return found is not None


def read_item_text(
    ws: Workspace,
    worker: Worker,
    item_id: int,
    *,
    actor: str,
    timeout: float,
    times: list[float] | None = None,
    via: str = "analysis",
) -> TextOutcome:
    """Read the text in an item's keyframes (or image), or in its frames at `times`, and keep it."""
    engine = ocr.engine()
    if engine is None:
        return TextOutcome(skipped=ocr.absent_reason())
    with ws.db.read() as session:
        item = session.get_one(Item, item_id)
        sha256, kind = item.sha256, item.kind
        if times is None and via == "analysis" and _read_before(session, item_id, engine):
            return TextOutcome(skipped=f"item {item_id}'s keyframes were read with {engine.version} before")
        moments = _times(session, item_id, times) if kind == MediaKind.VIDEO else []
    if kind not in (MediaKind.VIDEO, MediaKind.IMAGE):
        return TextOutcome(skipped=f"item {item_id} is {kind or 'not media'}: no pictures to read")
    if kind == MediaKind.VIDEO and not moments:
        return TextOutcome()
    readings = jobs.read_text(
        worker,
        str(ws.store.local_file(sha256)),
        kind,
        moments,
        engine,
        timeout=timeout * max(1, len(moments)),
    )
    outcome = TextOutcome(read=len(readings))
    with ws.db.write() as session:
        rows: list[FrameText] = []
        for t, width, height, words in readings:
            where = "the image" if t is None else f"{t:.2f} s"
            if isinstance(words, str):
                outcome.failed.append(f"at {where}: {words}")
                continue
            if not words and times is None:  # keyframes without text: nothing to keep
                continue
            parsed = [ocr.Word.from_json(w) for w in words]
            rows.append(
                FrameText(
                    item_id=item_id,
                    t=t,
                    width=width,
                    height=height,
                    text=ocr.text_of(parsed),
                    words=words,
                    engine=engine.version,
                    languages=engine.languages,
                    read_at=custody.now(),
                    read_by=actor,
                )
            )
        if not rows:
            return outcome
        session.add_all(rows)
        session.flush()
        outcome.kept = [row.id for row in rows]
        custody.append(
            session,
            actor=actor,
            action=CustodyAction.READ_TEXT,
            subject=f"item:{sha256}",
            details={
                "via": via,
                "engine": engine.version,
                "languages": engine.languages,
                "pictures": len(readings),
                "with_text": sum(1 for r in rows if r.words),
                "words": sum(len(r.words) for r in rows),
                "failed": outcome.failed,
            },
            records=[("frame_text", row.id) for row in rows],
        )
    return outcome
