"""Where on an item a tag goes: one stored frame (by its index), the frame shown at a time, a time range
inside the item's duration, and/or a box inside its displayed (upright) frame. Callers own the
transaction; nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.catalogue.models import Frame, Item
from evidence.catalogue.views import media_size, positive_duration
from evidence.core.bounds import INT_MAX, whole
from evidence.core.box import Box
from evidence.core.fragment import check_box, format_clock
from evidence.core.text import printable
from evidence.errors import UsageError

# where a tag can be put on each kind of item
_TAKES = {
    "video": ("--frame", "--at", "--range", "--box"),
    "image": ("--frame", "--box"),
    "audio": ("--range",),
}
TIME_SLACK = 0.001  # seconds a time may pass the stored duration (rounding of the last frame's end)


@dataclass(frozen=True, slots=True)
class Snap:
    """`--at T`: the frame shown then, as a full decode numbers and times it."""

    requested: float
    frame: int
    t: float
    pdq: str | None = None  # its PDQ hash (hex), hashed when the tag was made


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a tag goes, checked."""

    frame: Frame | None
    t_start: float | None
    t_end: float | None
    box: Box | None
    width: int | None
    height: int | None
    snap: Snap | None


def media_duration(item: Item) -> float | None:
    """The duration in seconds found by analysis, else by probing, when known."""
    return positive_duration(item.summary) or positive_duration(item.probe)


def _check_time(value: Fraction, duration: float | None, what: str) -> None:
    if value < 0:
        raise UsageError(f"{what} cannot be negative")
    if duration is not None and value > duration + TIME_SLACK:
        raise UsageError(
            f"{what} {format_clock(value)} is after the end of the item ({format_clock(duration)})"
        )


def _frame_by_index(session: Session, item: Item, index: int) -> Frame:
    found = session.scalars(select(Frame).where(Frame.item_id == item.id, Frame.idx == index)).first()
    if found is not None:
        return found
    stored = list(session.scalars(select(Frame.idx).where(Frame.item_id == item.id)))
    if not stored:
        raise UsageError(_no_frames(item))
    near = sorted(sorted(stored, key=lambda i: (abs(i - index), i))[:6])
    raise UsageError(
        f"item {item.id} has no stored frame {index}; nearest stored: {', '.join(map(str, near))} "
        f"(see `evidence frames {item.id}`, or use --at TIME to snap to the nearest)"
    )


def _no_frames(item: Item) -> str:
    return (
        f"item {item.id} has no stored frames (analysis: {printable(item.analysis)}); "
        f"run `evidence analyze {item.id}`, or tag a time range with --range"
    )


def place(
    session: Session,
    item: Item,
    *,
    frame: int | None,
    at: Fraction | None,
    time_range: tuple[Fraction, Fraction] | None,
    box: Box | None,
    shown: Snap | None = None,
) -> Placement:
    """Check where a tag is asked to go against the item (its kind, frames, duration and size); `at`
    is the frame `shown` then, decoded by the caller."""
    given = {"--frame": frame, "--at": at, "--range": time_range, "--box": box}
    refused = [
        name for name, value in given.items() if value is not None and name not in _TAKES.get(item.kind, ())
    ]
    if refused:
        takes = ", ".join(_TAKES.get(item.kind, ())) or "none of them: tag it whole"
        raise UsageError(
            f"{', '.join(refused)} cannot place a tag on item {item.id} ({item.kind}); it takes {takes}"
        )
    duration = media_duration(item)
    width, height = media_size(item)
    row: Frame | None = None
    snap: Snap | None = None
    t_start: float | None = None
    t_end: float | None = None
    if frame is not None:
        whole(frame, "--frame (a stored frame index)", minimum=0, maximum=INT_MAX)
        row = _frame_by_index(session, item, frame)
        t_start = row.t
    elif at is not None:
        _check_time(at, duration, "--at")
        if shown is None:  # a caller's mistake: `tags.tag` decodes the frame before placing
            raise ValueError("placing a tag --at a time needs the frame shown then")
        t_start, snap = shown.t, shown
    elif time_range is not None:
        start, end = time_range
        if start >= end:
            raise UsageError("--range must start before it ends")
        _check_time(start, duration, "the range start")
        _check_time(end, duration, "the range end")
        t_start, t_end = float(start), float(end)
    if box is not None:
        try:
            check_box(box, width, height)
        except ValueError as exc:
            raise UsageError(f"--box: {exc}") from None
    return Placement(row, t_start, t_end, box, width, height, snap)
