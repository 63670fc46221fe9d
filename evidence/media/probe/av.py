"""Audio/video probing with PyAV (FFmpeg), locked down.

Only files whose leading bytes were sniffed as a known audio/video container get here (see
`DEMUXERS`). The file is handed to FFmpeg as an already-open Python file object (so no name is ever
parsed as a URL or protocol), with the sniffed demuxer forced, `format_whitelist` set to that one
demuxer (so nothing can switch to hls, concat, dash or image-sequence demuxers), an `io_open` hook
that refuses every further open a demuxer attempts, and `protocol_whitelist=file` behind that. The
opened format name is checked against `DENIED_DEMUXERS` as well.

Reads the container and stream headers, then decodes at most one frame of the main stream to confirm
it decodes and to read the display-matrix rotation (`VideoFrame.rotation`; PyAV 18 exposes no
stream-level side data).
"""

from __future__ import annotations

import logging
from fractions import Fraction
from pathlib import Path
from typing import Any, BinaryIO

from evidence.core.types import MediaKind
from evidence.media.probe.common import (
    ProbeResult,
    clean_tags,
    clean_text,
    finite,
    fraction_text,
    parse_datetime,
    parse_iso6709,
    utc_text,
)
from evidence.media.probe.sniff import Sniffed

__all__ = ["DEMUXERS", "DENIED_DEMUXERS", "NestedOpenRefused", "probe_av"]

log = logging.getLogger(__name__)

DEMUXERS: dict[str, str] = {
    "mp4": "mov",
    "mov": "mov",
    "3gp": "mov",
    "m4a": "mov",
    "matroska": "matroska",
    "webm": "matroska",
    "avi": "avi",
    "wav": "wav",
    "mpegts": "mpegts",
    "mpegps": "mpeg",
    "mpegvideo": "mpegvideo",
    "h264": "h264",
    "hevc": "hevc",
    "flv": "flv",
    "ogg": "ogg",
    "asf": "asf",
    "mp3": "mp3",
    "flac": "flac",
    "aac": "aac",
    "aiff": "aiff",
    "amr": "amr",
}
"""Sniffed format -> the only FFmpeg demuxer allowed to read it."""

DENIED_DEMUXERS = frozenset(
    {
        "hls",
        "applehttp",
        "concat",
        "dash",
        "webm_dash_manifest",
        "image2",
        "image2pipe",
        "sdp",
        "rtp",
        "rtsp",
        "ffmetadata",
        "lavfi",
        "tee",
        "imf",
        "data",
        "bin",
        "tty",
        "mpjpeg",
        "libcdio",
    }
)
"""Demuxers that follow references or read sequences; refused even if somehow selected."""

_MAX_PACKETS_FOR_FIRST_FRAME = 600
_MAX_DECODE_PIXELS = 16384 * 16384
_LOCATION_TAGS = ("com.apple.quicktime.location.ISO6709", "location", "location-eng", "com.android.location")
_AUDIO_MIME = {
    "mp4": "audio/mp4",
    "mov": "audio/mp4",
    "3gp": "audio/3gpp",
    "webm": "audio/webm",
    "matroska": "audio/x-matroska",
    "asf": "audio/x-ms-wma",
    "ogg": "audio/ogg",
}
_VIDEO_MIME = {"m4a": "video/mp4", "ogg": "video/ogg"}


class NestedOpenRefused(PermissionError):
    """A demuxer tried to open a second file or URL (a playlist segment, a reference)."""


def _refuse_nested_open(url: str, flags: int, options: dict[str, Any]) -> Any:
    """PyAV `io_open` hook: every open beyond the file we handed over is refused."""
    raise NestedOpenRefused(f"nested open refused: {clean_text(url, 200)}")


def open_locked(fh: BinaryIO, demuxer: str) -> Any:
    """A PyAV input container on an open file, locked down: one forced demuxer, local file protocol
    only, and no further file or URL may be opened (playlists and references are never followed)."""
    import av

    return av.open(
        fh,
        format=demuxer,
        container_options={"protocol_whitelist": "file", "format_whitelist": demuxer},
        metadata_errors="replace",
        io_open=_refuse_nested_open,
    )


def _av_errors() -> tuple[type[BaseException], ...]:
    import av

    return (
        av.FFmpegError,
        OSError,
        EOFError,
        ValueError,
        RuntimeError,
        OverflowError,
        MemoryError,
        ZeroDivisionError,
    )


def _reason(exc: BaseException) -> str:
    """A one-line reason for an FFmpeg failure, without the file's name."""
    strerror = getattr(exc, "strerror", None)
    logged = getattr(exc, "log", None)
    detail = ""
    if isinstance(logged, tuple) and len(logged) == 3 and logged[2]:
        detail = str(logged[2])
    text = strerror or str(exc) or type(exc).__name__
    if detail:
        text = f"{text}: {detail}"
    text = " ".join(text.split())[:300]
    if any(sign in text for sign in ("Invalid data", "moov atom", "End of file")):
        return f"truncated or corrupt: {text}"
    return text


def probe_av(path: Path, sniffed: Sniffed) -> ProbeResult:
    """Probe an audio/video file whose sniffed format is one of `DEMUXERS`."""

    demuxer = DEMUXERS[sniffed.format or ""]
    metadata: dict[str, Any] = {"detected": sniffed.format}
    warnings: list[str] = []
    kind = sniffed.kind
    error = _check_bmff_boxes(path, warnings) if demuxer == "mov" else None
    if error is None:
        try:
            with path.open("rb") as fh, open_locked(fh, demuxer) as container:
                kind, error = _read(container, metadata, warnings)
        except NestedOpenRefused:
            error = "refused: the file references another file or address"
        except _av_errors() as exc:
            log.debug("PyAV could not read %s", path, exc_info=True)
            error = _reason(exc)
    if warnings:
        metadata["warnings"] = warnings
    if error is not None and "main_stream" not in metadata:
        return ProbeResult(sniffed.kind, sniffed.mime, metadata, error)
    mime = sniffed.mime
    if kind is MediaKind.AUDIO and sniffed.format in _AUDIO_MIME:
        mime = _AUDIO_MIME[sniffed.format]
    elif kind is MediaKind.VIDEO and sniffed.format in _VIDEO_MIME:
        mime = _VIDEO_MIME[sniffed.format]
    return ProbeResult(kind, mime, metadata, error)


def _read(container: Any, metadata: dict[str, Any], warnings: list[str]) -> tuple[MediaKind, str | None]:
    """Fill `metadata` from an open container; return the media kind and an error (or None)."""
    if set(container.format.name.split(",")) & DENIED_DEMUXERS:
        return MediaKind.OTHER, f"refused demuxer: {clean_text(container.format.name, 100)}"
    metadata |= _container_metadata(container)
    metadata["streams"] = streams = [_stream_metadata(stream) for stream in container.streams]
    kind, main = _classify(container)
    if main is None:
        return kind, "no decodable stream"
    metadata["main_stream"] = main.index
    error = _first_frame(container, main, streams[main.index], warnings)
    metadata |= _summary(streams, main.index)
    return kind, error


def _check_bmff_boxes(path: Path, warnings: list[str]) -> str | None:
    """Walk the top-level ISO-BMFF boxes: no `moov` is an error, a box past the end a warning."""
    found: set[bytes] = set()
    with path.open("rb") as fh:
        size_of_file = fh.seek(0, 2)
        offset = 0
        for _ in range(100_000):
            if offset + 8 > size_of_file:
                if offset != size_of_file:
                    warnings.append("truncated: trailing bytes after the last box")
                break
            fh.seek(offset)
            header = fh.read(16)
            size, kind = int.from_bytes(header[:4], "big"), header[4:8]
            if size == 1 and len(header) == 16:
                size = int.from_bytes(header[8:16], "big")
            elif size == 0:
                size = size_of_file - offset
            if size < 8:
                warnings.append(f"corrupt box at offset {offset}")
                break
            found.add(kind)
            if offset + size > size_of_file and kind == b"moov":
                return "truncated or corrupt: moov atom is cut short"
            if offset + size > size_of_file:
                warnings.append(
                    f"truncated: {clean_text(kind.decode('latin-1'))} box ends past the end of the file"
                )
                break
            offset += size
    if b"moov" not in found:
        return "truncated or corrupt: moov atom not found"
    return None


def _seconds(value: int | None, time_base: Fraction | None) -> tuple[float | None, str | None]:
    if value is None or time_base is None:
        return None, None
    exact = value * time_base
    return finite(float(exact)), fraction_text(exact)  # type: ignore[return-value]


def _container_metadata(container: Any) -> dict[str, Any]:
    duration, duration_exact = _seconds(container.duration, Fraction(1, 1_000_000))
    start_time, _ = _seconds(container.start_time, Fraction(1, 1_000_000))
    tags = clean_tags(container.metadata)
    found: dict[str, Any] = {
        "format": clean_text(container.format.name),
        "format_long": clean_text(container.format.long_name or ""),
        "duration": duration,
        "duration_exact": duration_exact,
        "start_time": start_time,
        "bit_rate": finite(container.bit_rate) or None,
        "tags": tags,
        "creation_time": utc_text(parse_datetime(tags.get("creation_time", ""), assume_utc=True)),
        "captured_at": utc_text(parse_datetime(tags.get("com.apple.quicktime.creationdate", ""))),
        "encoder": tags.get("encoder"),
        "major_brand": tags.get("major_brand"),
        "make": tags.get("com.apple.quicktime.make") or tags.get("make"),
        "model": tags.get("com.apple.quicktime.model") or tags.get("model"),
        "location": None,
    }
    for name in _LOCATION_TAGS:
        point = parse_iso6709(tags.get(name, ""))
        if point:
            found["location"] = point | {"source": name, "iso6709": tags[name]}
            break
    return found


def _stream_metadata(stream: Any) -> dict[str, Any]:
    context = stream.codec_context
    duration, duration_exact = _seconds(stream.duration, stream.time_base)
    start_time, _ = _seconds(stream.start_time, stream.time_base)
    tags = clean_tags(stream.metadata)
    info: dict[str, Any] = {
        "index": stream.index,
        "type": stream.type,
        "codec": clean_text(context.codec.canonical_name) if context is not None else None,
        "decoder": clean_text(context.codec.name) if context is not None else None,
        "codec_long": clean_text(context.codec.long_name) if context is not None else None,
        "codec_tag": clean_text(getattr(context, "codec_tag", "") or "") or None,
        "profile": clean_text(stream.profile) if stream.profile else None,
        "time_base": fraction_text(stream.time_base),
        "frames": stream.frames or None,
        "duration": duration,
        "duration_exact": duration_exact,
        "start_time": start_time,
        "bit_rate": (finite(context.bit_rate) or None) if context is not None else None,
        "language": clean_text(stream.language) if stream.language else None,
        "disposition": [flag.name for flag in type(stream.disposition) if flag & stream.disposition],
        "tags": tags,
    }
    if stream.type == "video" and context is not None:
        info |= {
            "width": context.width or None,
            "height": context.height or None,
            "pix_fmt": context.pix_fmt,
            "avg_frame_rate": fraction_text(stream.average_rate),
            "guessed_frame_rate": fraction_text(stream.guessed_rate),
            "base_frame_rate": fraction_text(stream.base_rate),
            "sample_aspect_ratio": fraction_text(stream.sample_aspect_ratio),
            "display_aspect_ratio": fraction_text(stream.display_aspect_ratio),
            "rotation": None,
            "rotate_tag": _rotate_tag(tags.get("rotate")),
            "attached_pic": "attached_pic" in info["disposition"],
        }
    elif stream.type == "audio" and context is not None:
        info |= {
            "sample_rate": context.sample_rate or None,
            "channels": context.layout.nb_channels if context.layout is not None else None,
            "channel_layout": context.layout.name if context.layout is not None else None,
            "sample_format": context.format.name if context.format is not None else None,
        }
    return info


def _rotate_tag(value: str | None) -> int | None:
    """The legacy `rotate` stream tag (clockwise degrees), when it is a plain integer."""
    if value is None or not value.lstrip("-").isdigit():
        return None
    return int(value) % 360


def _classify(container: Any) -> tuple[MediaKind, Any]:
    """VIDEO if a real picture stream exists (cover art does not count), else AUDIO, with its stream."""
    video = [
        s
        for s in container.streams.video
        if s.codec_context is not None
        and s.codec_context.width > 0
        and s.codec_context.height > 0
        and not s.disposition & type(s.disposition).attached_pic
    ]
    if video:
        return MediaKind.VIDEO, video[0]
    audio = [s for s in container.streams.audio if s.codec_context is not None]
    if audio:
        return MediaKind.AUDIO, audio[0]
    return MediaKind.OTHER, None


def _first_frame(container: Any, stream: Any, info: dict[str, Any], warnings: list[str]) -> str | None:
    """Decode the first frame of `stream`; record its rotation. Returns an error or None."""
    if stream.type == "video" and info["width"] * info["height"] > _MAX_DECODE_PIXELS:
        warnings.append(f"first frame not decoded: {info['width']} x {info['height']} is too large")
        return None
    stream.codec_context.thread_type = "NONE"
    errors = _av_errors()
    packets = container.demux(stream)
    for _ in range(_MAX_PACKETS_FOR_FIRST_FRAME):
        try:
            frames = next(packets).decode()
        except StopIteration:
            break
        except errors as exc:
            warnings.append(f"decode error: {_reason(exc)}")
            if isinstance(exc, EOFError) or "End of file" in str(exc):
                break
            continue
        if frames:
            if stream.type == "video":
                info["rotation"] = _normalise_rotation(int(frames[0].rotation))
                info["first_frame_key"] = bool(frames[0].key_frame)
            return None
    return f"no decodable frame in {stream.type} stream {stream.index}"


def _normalise_rotation(degrees: int) -> int:
    """Degrees counter-clockwise in (-180, 180], as ffprobe prints the display matrix rotation."""
    degrees = (degrees + 180) % 360 - 180
    return 180 if degrees == -180 else degrees


def _summary(streams: list[dict[str, Any]], main: int) -> dict[str, Any]:
    """Flat fields for the catalogue: the main stream's geometry, rate, rotation and codecs."""
    first = streams[main]
    summary: dict[str, Any] = {
        "video_codec": next(
            (s["codec"] for s in streams if s["type"] == "video" and not s.get("attached_pic")), None
        ),
        "audio_codec": next((s["codec"] for s in streams if s["type"] == "audio"), None),
    }
    if first["type"] == "video":
        rotation = first["rotation"]
        if rotation is None:
            rotation = _normalise_rotation(-(first["rotate_tag"] or 0))
        width, height = first["width"], first["height"]
        turned = rotation % 180 != 0 and rotation % 90 == 0
        summary |= {
            "width": width,
            "height": height,
            "fps": first["avg_frame_rate"] or first["guessed_frame_rate"],
            "rotation": rotation,
            "display_width": height if turned else width,
            "display_height": width if turned else height,
        }
    return summary
