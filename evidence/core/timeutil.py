"""Wall-clock instants: always timezone-aware UTC; naive input is refused, not guessed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

_DATE_ONLY = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")
_DATE_WITH_OFFSET = re.compile(r"^\d{4}(?:-\d{2}){0,2}[+-]\d{2}:?\d{2}$")
# every instant is kept in UTC: the first and last ones a time can name
RANGE = "from 0001-01-01T00:00Z to 9999-12-31T23:59:59.999999Z"


@dataclass(frozen=True, slots=True)
class Instant:
    at: datetime
    precision: str  # "year" | "month" | "day" | "minute" | "second" | "microsecond"


def parse_instant(text: str) -> Instant:
    """Parse ISO-8601: a date (`2016`, `2016-03`, `2016-03-24`, read as UTC) or a date-time with
    `Z` or an offset (`2016-03-24T10:00Z`, `2016-03-24T12:00+02:00`). Raises ValueError otherwise."""
    value = text.strip()
    if value[-1:] in ("Z", "z") and _DATE_ONLY.match(value[:-1]):
        value = value[:-1]  # a date in UTC, which is how a date is read anyway
    elif _DATE_WITH_OFFSET.match(value):
        raise ValueError(
            f"{text!r} is a date with an offset: give the date alone (2016-03-24, a day read as UTC) or a "
            "time with its offset (2016-03-24T00:00+03:00)"
        )
    match = _DATE_ONLY.match(value)
    if match:
        year, month, day = match.groups()
        try:
            at = datetime(int(year), int(month or 1), int(day or 1), tzinfo=UTC)
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a date in the calendar ({exc}); dates run {RANGE}") from None
        precision = "day" if day else "month" if month else "year"
        return Instant(at, precision)
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "T", 1))
    except ValueError:
        raise ValueError(
            f"{text!r} is not an ISO-8601 date or time (e.g. 2016-03-24 or 2016-03-24T10:00Z)"
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(f"{text!r} has no timezone: add Z for UTC or an offset like +03:00")
    try:
        at = parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is still year 0 in UTC
        raise ValueError(f"{text!r} is outside the times that can be recorded: they run {RANGE}") from None
    if parsed.microsecond:
        precision = "microsecond"
    elif parsed.second:
        precision = "second"
    else:
        precision = "minute"
    return Instant(at, precision)


PRECISIONS = ("year", "month", "day", "minute", "second", "microsecond")
_FINER: dict[str, dict[str, Any]] = {  # what a time at each precision leaves at its first value
    "year": {"month": 1, "day": 1, "hour": 0, "minute": 0, "second": 0, "microsecond": 0},
    "month": {"day": 1, "hour": 0, "minute": 0, "second": 0, "microsecond": 0},
    "day": {"hour": 0, "minute": 0, "second": 0, "microsecond": 0},
    "minute": {"second": 0, "microsecond": 0},
    "second": {"microsecond": 0},
    "microsecond": {},
}


def at_precision(instant: Instant, precision: str) -> Instant:
    """An instant with the precision it was recorded at, given apart from it (an exported `posted_at`
    with its `posted_at_precision`: `2016-03-24T00:00:00Z` at `day` is the day 2016-03-24). Raises
    ValueError for an unknown precision or a time more precise than it."""
    if precision not in _FINER:
        raise ValueError(f"{precision!r} is not a precision (one of {', '.join(PRECISIONS)})")
    if instant.at.replace(**_FINER[precision]) != instant.at:
        raise ValueError(f"{iso(instant.at)} is more precise than a {precision}")
    return Instant(instant.at, precision)


def iso(at: datetime | None) -> str | None:
    """ISO-8601 in UTC with a Z, seconds precision unless there is more."""
    if at is None:
        return None
    at = at.astimezone(UTC)
    text = at.isoformat(timespec="microseconds" if at.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def period_end(instant: Instant) -> datetime | None:
    """The first moment after the period an instant names: 2016-03-24 → 2016-03-25T00:00Z,
    2016-03-24T10:00Z → 10:01Z; None when the period runs to the end of the calendar (9999-12-31)."""
    at = instant.at
    try:
        if instant.precision == "year":
            return at.replace(year=at.year + 1)
        if instant.precision == "month":
            return at.replace(year=at.year + 1, month=1) if at.month == 12 else at.replace(month=at.month + 1)
        step = {"day": timedelta(days=1), "minute": timedelta(minutes=1), "second": timedelta(seconds=1)}
        return at + step.get(instant.precision, timedelta(microseconds=1))
    except (OverflowError, ValueError):  # past 9999-12-31T23:59:59.999999Z
        return None


_DATE_WIDTHS = {"year": 4, "month": 7, "day": 10}  # characters of an ISO-8601 date at each precision


def as_given(text: str | None, precision: str | None) -> str | None:
    """An ISO-8601 UTC time (as `iso` writes it) as precise as it was given: a date given as a day
    shows as `2016-03-24`, not `2016-03-24T00:00:00Z`; a month as `2016-03`, a year as `2016`."""
    if text is None or precision not in _DATE_WIDTHS:
        return text
    return text[: _DATE_WIDTHS[precision]]
