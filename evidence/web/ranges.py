"""HTTP byte ranges (RFC 9110 section 14): which part of a stored original a `Range` header asks for,
so that a browser's player can seek without fetching the whole file."""

from __future__ import annotations

from dataclasses import dataclass


class Unsatisfiable(Exception):
    """The range lies wholly outside the file (answered with 416)."""


@dataclass(frozen=True, slots=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


def byte_range(header: str | None, size: int) -> ByteRange | None:
    """The one range `header` asks for in a file of `size` bytes; None for the whole file (no header, a
    unit other than bytes, several ranges, or a header that does not parse: all of which a server may
    answer with the whole file). Raises Unsatisfiable for a range that starts past the end."""
    if not header:
        return None
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    first, last = first.strip(), last.strip()
    if not dash or not all(part == "" or (part.isascii() and part.isdigit()) for part in (first, last)):
        return None
    if first == "":
        if last == "":
            return None
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return ByteRange(max(0, size - suffix), size - 1)
    start = int(first)
    end = size - 1 if last == "" else min(int(last), size - 1)
    if last != "" and int(last) < start:
        return None
    if start >= size:
        raise Unsatisfiable
    return ByteRange(start, end)
