"""PNG text chunks that Pillow refuses to read, and the same PNG without them.

Pillow raises `ValueError` for a compressed text chunk (zTXt, or an iTXt flagged compressed) that
inflates past `PngImagePlugin.MAX_TEXT_CHUNK` (1 MiB), and for text chunks that add up to more than
`MAX_TEXT_MEMORY` (64 MiB), whether they come before or after the pixels. Its guard is right (a text
bomb is never inflated), but the picture itself is intact: left alone, a couple of kilobytes of
"comment" would keep a copy of known footage from being fingerprinted, and so from ever being
matched. `without_text` gives the same PNG with every text chunk (tEXt, zTXt, iTXt) left out, for
Pillow to read the picture from; every other chunk is copied byte for byte, so a truncated or corrupt
file stays truncated or corrupt.
"""

from __future__ import annotations

import io
from typing import BinaryIO, Final

__all__ = ["TEXT_CHUNKS", "TEXT_DROPPED", "is_text_overflow", "without_text"]

TEXT_CHUNKS: Final = frozenset({b"tEXt", b"zTXt", b"iTXt"})
TEXT_DROPPED: Final = "PNG text chunks too large to read (a text bomb) were left out"
_COPY: Final = 1 << 20


def is_text_overflow(exc: BaseException) -> bool:
    """True for Pillow's refusal of oversized PNG text (and only for that)."""
    text = str(exc)
    return isinstance(exc, ValueError) and ("MAX_TEXT_CHUNK" in text or "MAX_TEXT_MEMORY" in text)


def without_text(fh: BinaryIO) -> io.BytesIO:
    """A copy of the PNG in `fh` (read from its start) without its text chunks, in memory."""
    fh.seek(0)
    out = io.BytesIO()
    out.write(fh.read(8))  # the signature
    while True:
        header = fh.read(8)
        if len(header) < 8:
            out.write(header)  # a cut-off chunk header stays cut off
            break
        length, kind = int.from_bytes(header[:4], "big"), header[4:8]
        if kind in TEXT_CHUNKS:
            fh.seek(length + 4, io.SEEK_CUR)  # data and CRC
            continue
        out.write(header)
        remaining = length + 4
        while remaining > 0:
            chunk = fh.read(min(remaining, _COPY))
            if not chunk:
                break
            out.write(chunk)
            remaining -= len(chunk)
        if remaining > 0 or kind == b"IEND":
            out.write(fh.read())  # the end (or whatever follows it) exactly as it is
            break
    out.seek(0)
    return out
