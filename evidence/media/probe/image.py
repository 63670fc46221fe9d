"""Still-image probing with Pillow.

Pillow only gets to try the plugin matching the sniffed format. Images above `PIXEL_LIMIT` pixels
are reported ("image too large: W x H") and never decoded. Integrity is checked within a bounded
cost: PNG by `verify()` (every chunk CRC up to IEND), JPEG by decoding at 1/8 scale (the whole
entropy-coded stream is still parsed), other formats by loading the first frame when it has at most
`LOAD_PIXEL_BUDGET` pixels. A PNG text bomb (text chunks Pillow refuses to inflate) is read and
checked without its text chunks, with a warning (`png_text`).
"""

from __future__ import annotations

import logging
import struct
import warnings
import zlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from evidence.core.types import MediaKind
from evidence.media.probe import png_text
from evidence.media.probe.common import ProbeResult, clean_text, finite, utc_text
from evidence.media.probe.sniff import Sniffed

__all__ = ["LOAD_PIXEL_BUDGET", "PILLOW_FORMATS", "PIXEL_LIMIT", "probe_image"]

log = logging.getLogger(__name__)

PIXEL_LIMIT = 2 * 89_478_485
"""Largest image probed, in pixels (Pillow's own decompression-bomb error threshold)."""
LOAD_PIXEL_BUDGET = 50_000_000
"""Largest first frame fully decoded to check integrity (non-JPEG, non-PNG formats)."""

PILLOW_FORMATS: dict[str, str] = {
    "jpeg": "JPEG",
    "png": "PNG",
    "gif": "GIF",
    "bmp": "BMP",
    "tiff": "TIFF",
    "webp": "WEBP",
    "ico": "ICO",
    "jp2": "JPEG2000",
    "j2k": "JPEG2000",
    "avif": "AVIF",
}
"""Sniffed format -> the only Pillow plugin allowed to open it."""

_IMAGE_ERRORS = (
    OSError,
    ValueError,
    SyntaxError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    struct.error,
    zlib.error,
    MemoryError,
    OverflowError,
    ZeroDivisionError,
)
_TRUNCATED = "truncated or corrupt image"

_BASE_TAGS = {
    0x0112: "Orientation",
    0x010F: "Make",
    0x0110: "Model",
    0x0131: "Software",
    0x0132: "DateTime",
    0x013B: "Artist",
    0x8298: "Copyright",
    0x010E: "ImageDescription",
}
_EXIF_TAGS = {
    0x9003: "DateTimeOriginal",
    0x9004: "DateTimeDigitized",
    0x9010: "OffsetTime",
    0x9011: "OffsetTimeOriginal",
    0x9012: "OffsetTimeDigitized",
    0x9291: "SubsecTimeOriginal",
    0xA433: "LensMake",
    0xA434: "LensModel",
    0xA431: "BodySerialNumber",
    0xA420: "ImageUniqueID",
}
_GPS_TAGS = {
    0: "GPSVersionID",
    1: "GPSLatitudeRef",
    2: "GPSLatitude",
    3: "GPSLongitudeRef",
    4: "GPSLongitude",
    5: "GPSAltitudeRef",
    6: "GPSAltitude",
    7: "GPSTimeStamp",
    16: "GPSImgDirectionRef",
    17: "GPSImgDirection",
    18: "GPSMapDatum",
    29: "GPSDateStamp",
}


def probe_image(path: Path, sniffed: Sniffed) -> ProbeResult:
    """Probe a still (or animated) image whose sniffed format Pillow can read."""
    from PIL import Image

    metadata: dict[str, Any] = {"detected": sniffed.format}
    plugin = PILLOW_FORMATS.get(sniffed.format or "")
    if plugin is None:
        return ProbeResult(MediaKind.IMAGE, sniffed.mime, metadata, f"no decoder for {sniffed.format} images")
    with path.open("rb") as fh, warnings.catch_warnings(record=True) as noticed:
        warnings.simplefilter("always")  # Pillow warns about damaged EXIF etc.: keep those as data
        error = _read(fh, path, plugin, metadata)
    notes = [n.message for n in noticed if not issubclass(n.category, Image.DecompressionBombWarning)]
    if notes:
        metadata["warnings"] = [*metadata.get("warnings", []), *(clean_text(n, 200) for n in notes[:20])]
    return ProbeResult(MediaKind.IMAGE, sniffed.mime, metadata, error)


def _read(fh: Any, path: Path, plugin: str, metadata: dict[str, Any]) -> str | None:
    """Fill `metadata` from the image in `fh`; return an error or None."""
    from PIL import Image, UnidentifiedImageError

    stripped = False
    try:
        try:
            image = Image.open(fh, formats=[plugin])
        except ValueError as exc:
            if not png_text.is_text_overflow(exc):
                raise
            fh, stripped = png_text.without_text(fh), True  # a text bomb: read the picture without it
            metadata["warnings"] = [*metadata.get("warnings", []), png_text.TEXT_DROPPED]
            image = Image.open(fh, formats=[plugin])
    except Image.DecompressionBombError:
        return _too_large(fh, plugin)
    except (UnidentifiedImageError, *_IMAGE_ERRORS) as exc:
        log.debug("Pillow could not open %s: %s", path, exc)
        return _TRUNCATED
    with image:
        width, height = image.size
        metadata |= {"format": image.format, "width": width, "height": height, "mode": image.mode}
        if width <= 0 or height <= 0:
            return _TRUNCATED
        if width * height > PIXEL_LIMIT:
            return f"image too large: {width} x {height}"
        try:
            metadata |= _describe(image)
            metadata["verified"] = _verify(path, image, plugin, without_text=stripped)
        except _IMAGE_ERRORS as exc:
            log.debug("Pillow could not read %s: %s", path, exc)
            return _TRUNCATED
    return None


def _too_large(fh: Any, plugin: str) -> str:
    """The error for an image over Pillow's bomb limit, with its size read from the header alone."""
    from PIL import Image

    try:
        fh.seek(0)
        Image.init()
        factory = Image.OPEN[plugin][0]
        # the plugin's constructor reads the header and skips Image.open's bomb check
        width, height = factory(fh, "").size
    except _IMAGE_ERRORS:
        return "image too large"
    return f"image too large: {width} x {height}"


def _describe(image: Any) -> dict[str, Any]:
    frames = int(getattr(image, "n_frames", 1) or 1)
    if frames > 1:
        image.seek(0)
    info = image.info
    found: dict[str, Any] = {
        "frames": frames,
        "animated": frames > 1,
        "loop": finite(info.get("loop")) if frames > 1 else None,
        "icc_profile": bool(info.get("icc_profile")),
        "icc_profile_bytes": len(info["icc_profile"]) if info.get("icc_profile") else None,
        "xmp": bool(info.get("xmp") or info.get("XML:com.adobe.xmp")),
        "progressive": bool(info.get("progressive") or info.get("progression"))
        if image.format == "JPEG"
        else None,
        "dpi": [finite(v) for v in info["dpi"]] if isinstance(info.get("dpi"), tuple) else None,
    }
    if image.format == "PNG":  # text chunks ahead of the pixels (`image.text` would decode the image)
        chunks = [(k, v) for k, v in info.items() if isinstance(k, str) and isinstance(v, str)][:50]
        if chunks:
            found["text"] = {clean_text(k, 200): clean_text(v) for k, v in chunks}
    found |= _exif(image)
    return found


def _verify(path: Path, image: Any, plugin: str, *, without_text: bool = False) -> bool:
    """Check the file's integrity within a bounded cost; True if it was checked, False if skipped.
    `without_text`: a PNG whose text chunks Pillow refuses is checked without them."""
    from PIL import Image

    width, height = image.size
    if plugin == "PNG":  # verify() must come straight after open, so on a fresh handle
        with path.open("rb") as fh:
            source = png_text.without_text(fh) if without_text else fh
            with Image.open(source, formats=[plugin]) as fresh:
                fresh.verify()
        return True
    if plugin == "JPEG":
        image.draft(None, (max(1, width // 8), max(1, height // 8)))
        image.load()
        return True
    if width * height <= LOAD_PIXEL_BUDGET:
        image.load()
        return True
    return False


def _exif_value(value: Any) -> Any:
    if isinstance(value, bytes):
        return list(value[:16]) if len(value) <= 16 else f"<{len(value)} bytes>"
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, int):
        return value
    if isinstance(value, tuple):
        return [_exif_value(v) for v in value[:32]]
    return finite(value)  # IFDRational, float; x/0 and NaN become None


def _exif(image: Any) -> dict[str, Any]:
    try:
        exif = image.getexif()
        base = {name: _exif_value(exif[tag]) for tag, name in _BASE_TAGS.items() if tag in exif}
        sub = exif.get_ifd(0x8769)
        base |= {name: _exif_value(sub[tag]) for tag, name in _EXIF_TAGS.items() if tag in sub}
        gps_ifd = exif.get_ifd(0x8825)
        gps = {name: _exif_value(gps_ifd[tag]) for tag, name in _GPS_TAGS.items() if tag in gps_ifd}
    except _IMAGE_ERRORS as exc:
        return {"exif": None, "warnings": [f"unreadable EXIF: {clean_text(exc, 200)}"]}
    if not base and not gps:
        return {"exif": None}
    orientation = base.get("Orientation")
    taken, taken_local = _taken(base)
    return {
        "exif": base | ({"GPS": gps} if gps else {}),
        "orientation": orientation if isinstance(orientation, int) and 1 <= orientation <= 8 else None,
        "make": base.get("Make"),
        "model": base.get("Model"),
        "software": base.get("Software"),
        "taken_at": taken,
        "taken_at_local": taken_local,
        "gps": _gps(gps),
    }


def _exif_datetime(text: Any, offset: Any) -> tuple[str | None, str | None]:
    """(UTC ISO string if the offset is known, naive local ISO string) from EXIF date and offset."""
    if not isinstance(text, str):
        return None, None
    try:
        local = datetime.strptime(text.strip()[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None, None
    zone = _offset(offset)
    return (utc_text(local.replace(tzinfo=zone)) if zone else None), local.isoformat()


def _offset(text: Any) -> timezone | None:
    if not isinstance(text, str) or len(text.strip()) != 6 or text.strip()[0] not in "+-":
        return None
    sign = -1 if text.strip()[0] == "-" else 1
    try:
        hours, minutes = int(text.strip()[1:3]), int(text.strip()[4:6])
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    except ValueError:
        return None


def _taken(exif: dict[str, Any]) -> tuple[str | None, str | None]:
    for stamp, offset in (
        ("DateTimeOriginal", "OffsetTimeOriginal"),
        ("DateTimeDigitized", "OffsetTimeDigitized"),
        ("DateTime", "OffsetTime"),
    ):
        if stamp in exif:
            taken = _exif_datetime(exif[stamp], exif.get(offset) or exif.get("OffsetTime"))
            if taken != (None, None):
                return taken
    return None, None


def _degrees(value: Any, ref: Any, negative: str) -> float | None:
    if not isinstance(value, list) or len(value) != 3 or any(v is None for v in value):
        return None
    degrees = float(value[0] + value[1] / 60 + value[2] / 3600)
    return -degrees if isinstance(ref, str) and ref.upper().startswith(negative) else degrees


def _gps(gps: dict[str, Any]) -> dict[str, Any] | None:
    """EXIF GPS as decimal degrees (WGS 84 unless GPSMapDatum says otherwise), or None if incomplete."""
    latitude = _degrees(gps.get("GPSLatitude"), gps.get("GPSLatitudeRef"), "S")
    longitude = _degrees(gps.get("GPSLongitude"), gps.get("GPSLongitudeRef"), "W")
    if latitude is None or longitude is None or abs(latitude) > 90 or abs(longitude) > 180:
        return None
    altitude = gps.get("GPSAltitude")
    if isinstance(altitude, int | float) and gps.get("GPSAltitudeRef") in ([1], 1):
        altitude = -altitude
    return {
        "latitude": round(latitude, 7),
        "longitude": round(longitude, 7),
        "altitude": altitude if isinstance(altitude, int | float) else None,
        "time": _gps_time(gps.get("GPSDateStamp"), gps.get("GPSTimeStamp")),
        "datum": gps.get("GPSMapDatum"),
    }


def _gps_time(date: Any, time: Any) -> str | None:
    """GPS date + time stamp (UTC by definition) as ISO-8601."""
    if not isinstance(date, str) or not isinstance(time, list) or len(time) != 3 or None in time:
        return None
    try:
        day = datetime.strptime(date.strip()[:10], "%Y:%m:%d").replace(tzinfo=UTC)
        return utc_text(day + timedelta(hours=time[0], minutes=time[1], seconds=time[2]))
    except (ValueError, OverflowError):
        return None
