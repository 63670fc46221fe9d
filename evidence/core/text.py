"""Text that came from outside (file names, metadata) made safe to print on one terminal line."""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable

from evidence.errors import UsageError


def printable(text: str) -> str:
    """Escape what a terminal would act on or hide: control, format and separator characters,
    unassigned code points, lone surrogates (undecodable bytes) and newlines."""
    out: list[str] = []
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's surrogateescape for a non-UTF-8 byte
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch == "\\":
            out.append("\\\\")
        elif not ch.isprintable() and ch != " ":
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


_LINK = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def is_link(text: str) -> bool:
    """Whether a command-line argument is written as a link (`scheme://…`), not as a path."""
    return _LINK.match(text) is not None


def storable(text: str) -> tuple[str, bytes | None]:
    """A path as text for the catalogue; the raw bytes too when they are not valid UTF-8."""
    raw = os.fsencode(text)
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        return raw.decode("utf-8", "backslashreplace"), raw


def human_size(size: int) -> str:
    """Bytes for people: `120 B`, `5.0 MiB`."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def one_line(text: str) -> str:
    """A message on one line: whitespace runs folded, control characters escaped, backslashes kept."""
    folded = " ".join(text.split())
    return "".join(
        f"\\x{ord(ch):02x}" if unicodedata.category(ch) in ("Cc", "Cf", "Cs") else ch for ch in folded
    )


def strings_in(value: object) -> list[str]:
    """Every string value in a JSON-like structure (not the keys of its objects)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_in(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in strings_in(v)]
    return []


MAX_TEXT = 20_000


def user_text(value: str | None, *, what: str) -> str | None:
    """Text an analyst typed, stored as given except what a database cannot hold: NUL characters are
    dropped (PostgreSQL refuses them) and undecodable command-line bytes are kept as `\\xNN` escapes.
    Empty or blank text is None."""
    if value is None:
        return None
    cleaned = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    cleaned = cleaned.replace("\x00", "")
    if not cleaned.strip():
        return None
    if len(cleaned) > MAX_TEXT:
        raise UsageError(f"{what} is at most {MAX_TEXT} characters")
    return cleaned


def required_text(value: str | None, *, what: str) -> str:
    """Like `user_text`, but empty or blank text is refused."""
    cleaned = user_text(value, what=what)
    if cleaned is None:
        raise UsageError(f"{what} cannot be empty")
    return cleaned


def parsed[T](option: str, parse: Callable[[str], T], text: str | None) -> T | None:
    """`parse(text)`, None for no text; its ValueError as one UsageError line naming the option."""
    if text is None:
        return None
    try:
        return parse(text)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None
