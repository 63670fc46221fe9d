"""Whole numbers people type (ids, frame indexes, limits, pixels) checked against what the catalogue's
databases can hold before any of them reaches a query: 99999999999999999999999 is refused with its
bound (exit 2), or names no record, instead of overflowing inside a database driver."""

from __future__ import annotations

from evidence.errors import UsageError

BIGINT_MAX = 2**63 - 1  # the largest integer SQLite and PostgreSQL (bigint) can bind
INT_MAX = 2**31 - 1  # the largest an Integer column (ids, frame indexes, pixels) holds on PostgreSQL
MAX_SHOWN_DIGITS = 24


def shown(value: int) -> str:
    """An integer for a message: a very long one is cut (`123456…(400 digits)`)."""
    text = str(value)
    digits = len(text.lstrip("-"))
    return text if digits <= MAX_SHOWN_DIGITS else f"{text[:13]}…({digits} digits)"


def whole(value: int, what: str, *, minimum: int = 0, maximum: int = BIGINT_MAX) -> int:
    """`value` if it lies in [minimum, maximum]; UsageError naming the bounds otherwise."""
    if not minimum <= value <= maximum:
        raise UsageError(f"{what} must be a whole number from {minimum} to {maximum}, not {shown(value)}")
    return value


def can_be_id(value: int) -> bool:
    """Whether a record could have this id: ids start at 1 and are Integer columns, so one larger than
    PostgreSQL's integer names nothing (and must never reach a query, where it would not even bind)."""
    return 1 <= value <= INT_MAX
