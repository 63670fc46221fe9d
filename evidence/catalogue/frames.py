"""Writing and reading an item's frames and fingerprints, and the stored frames the matcher aligns a query
with (`frame_times`, `match_targets`). Callers own the transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from evidence.catalogue.hashindex import index_fingerprints, unindex_items
from evidence.catalogue.models import Frame, FrameDescriptor, FrameHash, Item
from evidence.catalogue.views import positive_duration
from evidence.core.frames import MIN_QUALITY, FrameRecord, descriptor_row, frame_row
from evidence.core.matching import (
    Target,
)
from evidence.core.names import REGION_NAMES, HashVariant

# frames written per statement batch: a long video's rows are never all built at once
FRAME_BATCH = 1000


def record_frames(
    session: Session, item_id: int, frames: Sequence[FrameRecord], thumbnails: dict[int, str]
) -> None:
    """Replace the item's frames (derived data, re-computable) with these, and index their hashes."""
    unindex_items(session, [item_id])  # a bulk DELETE fires no ORM cascade: drop the band rows first
    session.execute(delete(FrameHash).where(FrameHash.item_id == item_id))
    session.execute(delete(FrameDescriptor).where(FrameDescriptor.item_id == item_id))
    session.execute(delete(Frame).where(Frame.item_id == item_id))
    for start in range(0, len(frames), FRAME_BATCH):
        _insert_frames(session, item_id, frames[start : start + FRAME_BATCH], thumbnails)


def _insert_frames(
    session: Session, item_id: int, frames: Sequence[FrameRecord], thumbnails: dict[int, str]
) -> None:
    rows = [{"item_id": item_id, **frame_row(f, thumbnails.get(f.idx))} for f in frames]
    ids = list(session.scalars(insert(Frame).returning(Frame.id, sort_by_parameter_order=True), rows))
    hashes = [
        {
            "frame_id": frame_id,
            "item_id": item_id,
            "algorithm": h.algorithm,
            "version": h.version,
            "variant": h.variant,
            "value": h.hex,
            "quality": h.quality,
            "informative": f.counts(h),
        }
        for frame_id, f in zip(ids, frames, strict=True)
        for h in f.hashes
    ]
    if hashes:
        stmt = insert(FrameHash).returning(FrameHash.id, sort_by_parameter_order=True)
        index_fingerprints(session, list(session.scalars(stmt, hashes)), fresh=True)  # unindexed above
    descriptors = [
        {"frame_id": frame_id, "item_id": item_id, **descriptor_row(d)}
        for frame_id, f in zip(ids, frames, strict=True)
        for d in f.descriptors
    ]
    if descriptors:
        session.execute(insert(FrameDescriptor), descriptors)


def frames_of(session: Session, item_id: int) -> list[tuple[Frame, list[FrameHash]]]:
    frames = list(session.scalars(select(Frame).where(Frame.item_id == item_id).order_by(Frame.t, Frame.idx)))
    by_frame: dict[int, list[FrameHash]] = {f.id: [] for f in frames}
    for h in session.scalars(select(FrameHash).where(FrameHash.item_id == item_id).order_by(FrameHash.id)):
        by_frame.setdefault(h.frame_id, []).append(h)
    return [(f, by_frame[f.id]) for f in frames]


CHUNK = 900  # bound parameters per statement, well under SQLite's limit


ALIGNED_VARIANTS = (HashVariant.CANONICAL, HashVariant.CENTER, *REGION_NAMES)


def frame_times(session: Session, frame_ids: set[int]) -> dict[int, float]:
    ids = sorted(frame_ids)
    out: dict[int, float] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        out.update(session.execute(select(Frame.id, Frame.t).where(Frame.id.in_(chunk))).all())
    return out


def match_targets(session: Session, item_ids: set[int]) -> dict[int, Target]:
    """Each candidate's informative stored frames with their canonical hashes."""
    frames: dict[int, dict[float, list[tuple[str, bytes]]]] = {i: {} for i in item_ids}
    ids = sorted(item_ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        query = (
            select(Frame.item_id, Frame.t, FrameHash.variant, FrameHash.value)
            .join(FrameHash, FrameHash.frame_id == Frame.id)
            .where(
                Frame.item_id.in_(chunk),
                Frame.sampled.is_(True),
                Frame.flat.is_(False),
                Frame.quality >= MIN_QUALITY,
                FrameHash.informative.is_(True),
                FrameHash.variant.in_(ALIGNED_VARIANTS),
            )
        )
        for item_id, t, variant, value in session.execute(query):
            frames[item_id].setdefault(t, []).append((variant, bytes.fromhex(value)))
    durations = durations_of(session, item_ids)
    return {
        i: Target(
            i,
            tuple((t, tuple(sorted(hs, key=_canonical_first))) for t, hs in sorted(by_t.items())),
            durations.get(i),
        )
        for i, by_t in frames.items()
    }


def durations_of(session: Session, item_ids: set[int]) -> dict[int, float]:
    """The items' durations as their analysis found them, where it found one."""
    ids = sorted(item_ids)
    out: dict[int, float] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        for item_id, summary in session.execute(select(Item.id, Item.summary).where(Item.id.in_(chunk))):
            if (seconds := positive_duration(summary)) is not None:
                out[item_id] = seconds
    return out


def _canonical_first(entry: tuple[str, bytes]) -> tuple[bool, str]:
    return entry[0] != HashVariant.CANONICAL, entry[0]
