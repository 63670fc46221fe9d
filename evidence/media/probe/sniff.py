"""Content sniffing: what a file is, from its first bytes, whatever its name says.

`sniff(head, name)` looks at the first `SNIFF_BYTES` bytes of a file and returns a `Sniffed`
(media kind, MIME type, short format name). The name is only used to tell apart formats that
share a container (a ZIP that is a .docx, an ASF that is a .wma); it never turns unknown bytes
into media. Anything that is not decodable audio, video or a raster image is `MediaKind.OTHER`,
including text that FFmpeg could follow somewhere else (HLS playlists, ffconcat lists, SDP).

The magic-number checks of binary formats are in `sniff_binary`; text is recognised here.

Pure Python, standard library only.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import stat
from pathlib import Path

from evidence.core.types import MediaKind
from evidence.media.probe.extensions import declared_extension, mime_for_extension
from evidence.media.probe.sniff_binary import _BINARY_CHECKS, Sniffed

__all__ = ["SNIFF_BYTES", "Sniffed", "declared_extension", "mime_for_extension", "sniff", "sniff_file"]

SNIFF_BYTES = 4096
"""How many leading bytes `sniff` wants to see (it works with fewer)."""

_O = MediaKind.OTHER

_UNKNOWN = Sniffed(_O, None, None)
_EMPTY = Sniffed(_O, None, "empty")


def sniff_file(path: Path) -> Sniffed:
    """Sniff a file on disk. Never blocks: a FIFO, device or directory is reported as OTHER, unread."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return _UNKNOWN
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return sniff(fh.read(SNIFF_BYTES), Path(path).name)
    finally:
        os.close(fd)


def sniff(head: bytes, name: str = "") -> Sniffed:
    """Identify a file from its first bytes (ideally `SNIFF_BYTES` of them)."""
    if not head:
        return _EMPTY
    ext = declared_extension(name)
    for check in _BINARY_CHECKS:
        found = check(head, ext)
        if found is not None:
            return found
    return _sniff_text(head) or _UNKNOWN


# --- Text ---------------------------------------------------------------------------------------------

_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")
_SRT_CUE = re.compile(r"\A\d+\r?\n\d\d:\d\d:\d\d[,.]\d{3} --> ")


def _decode_text(head: bytes) -> str | None:
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if head.startswith(bom):
            head, chosen = head[len(bom) :], encoding
            break
    else:
        chosen = "utf-8"
    decoder = codecs.getincrementaldecoder(chosen)(errors="strict")
    try:
        text: str = decoder.decode(head, final=False)  # a character cut at the end of the head is fine
    except UnicodeDecodeError:
        return None
    if _TEXT_CONTROL.search(text):
        return None
    return text


def _sniff_text(head: bytes) -> Sniffed | None:
    text = _decode_text(head)
    if text is None:
        return None
    body = text.lstrip()
    lower = body[:512].lower()
    if body.startswith("#EXTM3U"):
        return Sniffed(_O, "application/vnd.apple.mpegurl", "hls")
    if body.startswith("ffconcat version"):
        return Sniffed(_O, "text/plain", "ffconcat")
    if re.match(r"v=0\r?\n", body) and re.search(r"^[osm]=", body, re.MULTILINE):
        return Sniffed(_O, "application/sdp", "sdp")
    if body.startswith("WEBVTT"):
        return Sniffed(_O, "text/vtt", "webvtt")
    if _SRT_CUE.match(body):
        return Sniffed(_O, "application/x-subrip", "srt")
    if lower.startswith(("<!doctype html", "<html")) or re.search(r"<(head|body)[\s>]", lower):
        return Sniffed(_O, "text/html", "html")
    if "<mpd" in lower and ("<?xml" in lower or lower.startswith("<mpd")):
        return Sniffed(_O, "application/dash+xml", "dash")
    if "<svg" in lower and (lower.startswith(("<?xml", "<svg", "<!doctype svg"))):
        return Sniffed(_O, "image/svg+xml", "svg")
    if lower.startswith("<?xml"):
        return Sniffed(_O, "application/xml", "xml")
    if body[:1] in ("{", "[") and _looks_like_json(body, complete=len(head) < SNIFF_BYTES):
        return Sniffed(_O, "application/json", "json")
    return Sniffed(_O, "text/plain", "text")


def _looks_like_json(body: str, *, complete: bool) -> bool:
    try:
        json.loads(body)
    except ValueError:
        if complete:
            return False
        # a head cut off mid-document: accept the usual openings
        return re.match(r'[{\[]\s*("|\{|\[|-?\d|true\b|false\b|null\b|[}\]])', body) is not None
    return True
