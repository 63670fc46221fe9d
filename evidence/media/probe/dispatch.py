"""Probe a preserved file: what it is and what its container, streams and EXIF say about it.

`probe(path)` is a pure function of the file's bytes: it never writes, never prints and never raises
for a file's content. Whatever the bytes are, the answer is a `ProbeResult` whose `metadata` is
JSON-serialisable and whose `error` is None or a short reason ("no decodable stream",
"truncated or corrupt: moov atom not found", "image too large: 100000 x 100000").

The bytes are sniffed first (`evidence.media.probe.sniff`). Only known audio/video containers go to PyAV
(`probe_av`), only known raster formats to Pillow (`probe_image`). Everything else, including HLS
playlists, ffconcat lists, SDP and other text that FFmpeg would follow to other files or hosts, is
`MediaKind.OTHER` with `metadata["detected"]` naming what it looked like, and is never opened by a
decoder.

Metadata for audio/video (see `probe_av` for every key): `format`, `duration` (float seconds) and
`duration_exact` ("num/den"), `bit_rate`, `start_time`, `tags`, `creation_time` (ISO-8601 UTC),
`location` (decimal degrees from ISO 6709 tags), `streams` (one dict per stream) and, for the main
stream, `width`, `height`, `fps` ("num/den"), `rotation` and `display_width`/`display_height`.
`rotation` is the display matrix's angle in degrees counter-clockwise, in (-180, 180], as ffprobe and
`av.VideoFrame.rotation` report it: a phone's portrait clip (legacy tag `rotate=90`) has
`rotation == -90`, and `numpy.rot90(frame, rotation // 90)` shows it upright.

Metadata for images: `format`, `width`, `height`, `mode`, `frames`, `animated`, `icc_profile`,
`exif` (selected tags), `orientation`, `make`, `model`, `software`, `taken_at` (UTC, only when the
EXIF offset is known), `taken_at_local` (naive wall-clock time, zone unknown), `gps`.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from evidence.core.types import MediaKind
from evidence.errors import InputRefused
from evidence.media.probe.av import DEMUXERS, probe_av
from evidence.media.probe.common import ProbeResult, jsonable
from evidence.media.probe.image import probe_image
from evidence.media.probe.sniff import SNIFF_BYTES, Sniffed, sniff

__all__ = ["ProbeResult", "probe"]

_REFERENCE_FORMATS = frozenset({"hls", "ffconcat", "sdp", "dash"})


def probe(path: Path, *, name: str = "") -> ProbeResult:
    """Probe the regular file at `path`. `name` (an original file name) only helps sniffing.

    Raises `InputRefused` if `path` is missing, unreadable or not a regular file (a FIFO or a
    device is never opened for reading in a way that could block).
    """
    path = Path(path)
    head = _read_head(path)
    sniffed = sniff(head, name or path.name)
    result = _dispatch(path, sniffed)
    metadata = jsonable(result.metadata)
    return ProbeResult(result.kind, result.mime, metadata, _one_line(result.error))


def _read_head(path: Path) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise InputRefused(
            f"cannot read {path}: {exc.strerror or exc}; check the path and permissions"
        ) from exc
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InputRefused(f"not a regular file: {path}; only regular files can be probed")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read(SNIFF_BYTES)
    except OSError as exc:
        raise InputRefused(f"cannot read {path}: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)


def _dispatch(path: Path, sniffed: Sniffed) -> ProbeResult:
    if sniffed.kind in (MediaKind.VIDEO, MediaKind.AUDIO):
        if sniffed.format in DEMUXERS:
            return probe_av(path, sniffed)
        return ProbeResult(
            sniffed.kind, sniffed.mime, {"detected": sniffed.format}, f"no probe for {sniffed.format}"
        )
    if sniffed.kind is MediaKind.IMAGE:
        return probe_image(path, sniffed)
    metadata: dict[str, Any] = {"detected": sniffed.format or "unknown"}
    if sniffed.format in _REFERENCE_FORMATS:
        metadata["note"] = "not opened: this format can reference other files or network addresses"
    return ProbeResult(MediaKind.OTHER, sniffed.mime, metadata, None)


def _one_line(error: str | None) -> str | None:
    if error is None:
        return None
    return " ".join(error.replace("\x00", "").split())[:300] or "unknown error"
