"""The probe result and the value hygiene every probe backend shares.

Metadata read from a file is untrusted data: strings are kept as strings, NULs stripped and
lengths capped; numbers must be finite; fractions become "num/den" strings and datetimes ISO-8601
UTC strings, so that a probe result always survives `json.dumps(..., allow_nan=False)`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

from evidence.core.types import MediaKind

__all__ = [
    "MAX_TAGS",
    "MAX_VALUE_CHARS",
    "ProbeResult",
    "clean_tags",
    "clean_text",
    "finite",
    "fraction_text",
    "jsonable",
    "parse_datetime",
    "parse_iso6709",
    "utc_text",
]

MAX_VALUE_CHARS = 2000
"""Longest string kept from a file's metadata (longer values are cut)."""
MAX_TAGS = 200
"""Most tags kept from one tag dictionary."""
_MAX_KEY_CHARS = 200
_MAX_DEPTH = 8


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """What probing a file found. `error` is None on success, else a short one-line reason."""

    kind: MediaKind
    mime: str | None
    metadata: dict[str, Any]
    error: str | None = None
    credentials: dict[str, Any] | None = None  # C2PA content credentials (media/credentials.py)


def clean_text(value: object, limit: int = MAX_VALUE_CHARS) -> str:
    """A metadata value as a string: NULs removed, at most `limit` chars; otherwise exactly as found."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    text = str(value).replace("\x00", "")
    text = text.encode("utf-8", errors="replace").decode("utf-8")  # no lone surrogates
    return text[:limit]


def clean_tags(tags: Mapping[Any, Any] | None) -> dict[str, str]:
    """A tag dictionary with cleaned keys and values, at most `MAX_TAGS` entries."""
    cleaned: dict[str, str] = {}
    for key, value in (tags or {}).items():
        if len(cleaned) >= MAX_TAGS:
            break
        name = clean_text(key, _MAX_KEY_CHARS)
        if name:
            cleaned[name] = clean_text(value)
    return cleaned


def finite(value: object) -> float | int | None:
    """An int, or a finite float, or None (NaN, infinities, non-numbers and bools are dropped)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def fraction_text(value: object) -> str | None:
    """A rational as "num/den" (always with the slash), or None when absent or undefined (x/0)."""
    if value is None:
        return None
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    numerator, denominator = getattr(value, "numerator", None), getattr(value, "denominator", None)
    if isinstance(numerator, int) and isinstance(denominator, int) and denominator:
        exact = Fraction(numerator, denominator)
        return f"{exact.numerator}/{exact.denominator}"
    return None


def utc_text(moment: datetime | None) -> str | None:
    """An aware datetime as an ISO-8601 UTC string; naive datetimes give None (their zone is unknown)."""
    if moment is None or moment.tzinfo is None or moment.utcoffset() is None:
        return None
    try:
        return moment.astimezone(UTC).isoformat()
    except OverflowError:  # 0001-01-01T00:00+01:00 has no UTC time
        return None


def parse_datetime(text: str, *, assume_utc: bool = False) -> datetime | None:
    """An ISO-8601 timestamp from a tag; a naive one only counts if `assume_utc` (the format says UTC).

    Returns an aware datetime or None when the text is no timestamp (or naive and not assumed UTC).
    """
    try:
        moment = datetime.fromisoformat(text.strip()[:64])
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC) if assume_utc else None
    return moment


_ISO6709 = re.compile(
    r"^\s*(?P<lat>[+-]\d+(?:\.\d*)?)(?P<lon>[+-]\d+(?:\.\d*)?)(?P<alt>[+-]\d+(?:\.\d*)?)?\s*(?:CRS[^/]*)?/?\s*$"
)


def _iso6709_degrees(text: str, degree_digits: int) -> float | None:
    sign = -1.0 if text.startswith("-") else 1.0
    digits = text[1:]
    whole, _, fraction = digits.partition(".")
    tail = float("0." + fraction) if fraction else 0.0
    if len(whole) == degree_digits:  # ±DD.DDD
        value = float(whole) + tail
    elif len(whole) == degree_digits + 2:  # ±DDMM.MMM
        value = float(whole[:degree_digits]) + (float(whole[degree_digits:]) + tail) / 60
    elif len(whole) == degree_digits + 4:  # ±DDMMSS.SSS
        minutes, seconds = float(whole[degree_digits:-2]), float(whole[-2:]) + tail
        value = float(whole[:degree_digits]) + minutes / 60 + seconds / 3600
    else:
        return None
    return sign * value


def parse_iso6709(text: str) -> dict[str, Any] | None:
    """An ISO 6709 point ("+48.8577+002.2950+035.0/") as decimal degrees, or None if it is not one."""
    match = _ISO6709.match(text)
    if not match:
        return None
    latitude = _iso6709_degrees(match["lat"], 2)
    longitude = _iso6709_degrees(match["lon"], 3)
    if latitude is None or longitude is None or abs(latitude) > 90 or abs(longitude) > 180:
        return None
    altitude = finite(match["alt"]) if match["alt"] else None
    return {"latitude": round(latitude, 7), "longitude": round(longitude, 7), "altitude": altitude}


def jsonable(value: Any, depth: int = 0) -> Any:
    """`value` made JSON-safe: strings cleaned, non-finite floats dropped, unknown types as text."""
    if depth > _MAX_DEPTH:
        return None
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str | bytes):
        return clean_text(value)
    if isinstance(value, Fraction):
        return fraction_text(value)
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, Mapping):
        return {
            clean_text(k, _MAX_KEY_CHARS): jsonable(v, depth + 1) for k, v in list(value.items())[:MAX_TAGS]
        }
    if isinstance(value, list | tuple):
        return [jsonable(v, depth + 1) for v in value[:MAX_TAGS]]
    return clean_text(value)
