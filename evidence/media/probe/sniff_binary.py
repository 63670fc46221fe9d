"""`Sniffed` and the magic-number checks `sniff` runs: media containers, images, audio streams, archives."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from evidence.core.types import MediaKind
from evidence.media.probe.extensions import MIME_BY_EXTENSION


@dataclass(frozen=True, slots=True)
class Sniffed:
    """What the leading bytes say a file is. `format` is a short name such as "mp4" or "jpeg"."""

    kind: MediaKind
    mime: str | None
    format: str | None


_V, _I, _A, _O = MediaKind.VIDEO, MediaKind.IMAGE, MediaKind.AUDIO, MediaKind.OTHER


# --- ISO base media (MP4, MOV, 3GP, M4A, HEIC, AVIF) -------------------------------------------------

_MP4 = Sniffed(_V, "video/mp4", "mp4")
_MOV = Sniffed(_V, "video/quicktime", "mov")
_HEIF = Sniffed(_I, "image/heif", "heif")
_BMFF_BRANDS: dict[str, Sniffed] = {
    "qt  ": _MOV,
    "crx ": Sniffed(_O, "image/x-canon-cr3", "cr3"),
    "mif1": _HEIF,
    "msf1": _HEIF,
    **dict.fromkeys(("M4A ", "M4B ", "M4P ", "F4A "), Sniffed(_A, "audio/mp4", "m4a")),
    **dict.fromkeys(("heic", "heix", "heim", "heis"), Sniffed(_I, "image/heic", "heic")),
    **dict.fromkeys(("hevc", "hevx"), Sniffed(_I, "image/heic-sequence", "heic")),
    **dict.fromkeys(("avif", "avis"), Sniffed(_I, "image/avif", "avif")),
}
_IMAGE_BRANDS = ("avif", "avis", "heic", "heix", "heim", "heis", "hevc", "hevx")
_GENERIC_HEIF = {"mif1", "msf1"}
_QT_ATOMS = {b"moov", b"mdat", b"wide", b"pnot"}


def _iso_bmff(head: bytes, ext: str) -> Sniffed | None:
    size = int.from_bytes(head[0:4], "big")
    if len(head) >= 12 and head[4:8] == b"ftyp" and 12 <= size <= 4096:
        major = head[8:12].decode("latin-1")
        end = min(max(size, 16), len(head), 256)
        compatible = {head[i : i + 4].decode("latin-1") for i in range(16, end - 3, 4)}
        if major in _BMFF_BRANDS and major not in _GENERIC_HEIF:
            return _BMFF_BRANDS[major]
        if major.startswith("3g2"):
            return Sniffed(_V, "video/3gpp2", "3gp")
        if major.startswith("3g"):
            return Sniffed(_V, "video/3gpp", "3gp")
        for brand in _IMAGE_BRANDS:  # an image whose major brand is generic ("mif1", "isom")
            if brand in compatible:
                return _BMFF_BRANDS[brand]
        if major in _GENERIC_HEIF or compatible & _GENERIC_HEIF:
            return _HEIF
        return _MP4
    if len(head) < 8 or size < 8 or all(0x20 <= b < 0x7F for b in head[:4]):
        return None  # (a legacy QuickTime file starts with a box size, which text would not spell)
    if head[4:8] in _QT_ATOMS:
        return _MOV
    following = head[size + 4 : size + 8]
    if head[4:8] in (b"free", b"skip") and size <= len(head) - 8 and following in _QT_ATOMS | {b"ftyp"}:
        return _iso_bmff(head[size:], ext) or _MOV
    return None


# --- EBML, RIFF and other tagged containers -------------------------------------------------------------


def _matroska(head: bytes, ext: str) -> Sniffed | None:
    if not head.startswith(b"\x1a\x45\xdf\xa3"):
        return None
    at = head.find(b"\x42\x82")  # DocType element id
    if at >= 0 and at + 3 < len(head):
        size_byte = head[at + 2]
        if size_byte & 0x80:  # a one-byte size (the usual case)
            doctype = head[at + 3 : at + 3 + (size_byte & 0x7F)]
            if doctype.startswith(b"webm"):
                return Sniffed(_V, "video/webm", "webm")
    return Sniffed(_V, "video/x-matroska", "matroska")


def _riff(head: bytes, ext: str) -> Sniffed | None:
    if len(head) < 12 or head[:4] not in (b"RIFF", b"RF64"):
        return None
    sub = head[8:12]
    if sub in (b"AVI ", b"AVIX"):
        return Sniffed(_V, "video/x-msvideo", "avi")
    if sub == b"WAVE":
        return Sniffed(_A, "audio/wav", "wav")
    if sub == b"WEBP":
        return Sniffed(_I, "image/webp", "webp")
    return Sniffed(_O, "application/octet-stream", "riff")


_ASF_GUID = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")


def _tagged_containers(head: bytes, ext: str) -> Sniffed | None:
    if head.startswith(b"FLV\x01"):
        return Sniffed(_V, "video/x-flv", "flv")
    if head.startswith(_ASF_GUID):
        if ext == "wma":
            return Sniffed(_A, "audio/x-ms-wma", "asf")
        return Sniffed(_V, "video/x-ms-wmv" if ext == "wmv" else "video/x-ms-asf", "asf")
    if head.startswith(b"OggS\x00"):
        first_page = head[:512]
        if b"\x80theora" in first_page:
            return Sniffed(_V, "video/ogg", "ogg")
        if b"OpusHead" in first_page:
            return Sniffed(_A, "audio/ogg", "ogg")
        return Sniffed(_A, "audio/ogg", "ogg")
    if head.startswith(b"fLaC") and len(head) > 4 and head[4] & 0x7F == 0:  # STREAMINFO first
        return Sniffed(_A, "audio/flac", "flac")
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return Sniffed(_A, "audio/aiff", "aiff")
    if head.startswith(b"#!AMR"):
        return Sniffed(_A, "audio/amr", "amr")
    if head.startswith(b"\x00\x00\x01\xba"):
        return Sniffed(_V, "video/mpeg", "mpegps")
    if head.startswith(b"\x00\x00\x01\xb3"):
        return Sniffed(_V, "video/mpeg", "mpegvideo")
    if head.startswith(b"\x00\x00\x00\x01") and len(head) > 5:
        nal = head[4]
        # H.264 sequence parameter set or access unit delimiter
        if (nal & 0x80) == 0 and (nal & 0x1F) in (7, 9):
            return Sniffed(_V, "video/h264", "h264")
        if head[4:6] in (b"\x40\x01", b"\x46\x01"):  # HEVC VPS / AUD
            return Sniffed(_V, "video/h265", "hevc")
    return None


def _mpeg_ts(head: bytes, ext: str) -> Sniffed | None:
    for offset, stride in ((0, 188), (4, 192)):
        syncs = range(offset, len(head), stride)
        needed = min(len(syncs), 5)
        packets_look_binary = any(b < 0x09 or b == 0xFF for b in head[:stride])  # text never holds these
        if needed >= 3 and packets_look_binary and all(head[i] == 0x47 for i in list(syncs)[:needed]):
            return Sniffed(_V, "video/mp2t", "mpegts")
    return None


# --- Still images --------------------------------------------------------------------------------------


def _images(head: bytes, ext: str) -> Sniffed | None:
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed(_I, "image/jpeg", "jpeg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        idat = head.find(b"IDAT")
        actl = head.find(b"acTL")
        if actl >= 0 and (idat < 0 or actl < idat):
            return Sniffed(_I, "image/apng", "png")
        return Sniffed(_I, "image/png", "png")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Sniffed(_I, "image/gif", "gif")
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return Sniffed(_I, "image/tiff", "tiff")
    if head.startswith(b"\x00\x00\x00\x0cjP  \r\n\x87\n"):
        return Sniffed(_I, "image/jp2", "jp2")
    if head.startswith(b"\xff\x4f\xff\x51"):
        return Sniffed(_I, "image/jp2", "j2k")
    bmp_header_sizes = (12, 16, 40, 52, 56, 64, 108, 124)
    if (
        head[:2] == b"BM"
        and head[6:10] == b"\x00" * 4
        and int.from_bytes(head[14:18], "little") in bmp_header_sizes
    ):
        return Sniffed(_I, "image/bmp", "bmp")
    if len(head) >= 22 and head[:4] in (b"\x00\x00\x01\x00", b"\x00\x00\x02\x00"):
        count = int.from_bytes(head[4:6], "little")
        if 0 < count <= 256 and head[9] == 0 and head[10] in (0, 1) and head[11] in (0, 1):
            return Sniffed(_I, "image/vnd.microsoft.icon", "ico")
    return None


# --- Bare audio streams (MP3, AAC ADTS) --------------------------------------------------------------

_MP3_BITRATES = {  # kbit/s by (MPEG-1?, layer) -> index 1..14
    (True, 3): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (True, 2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 1): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (False, 3): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 2): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 1): (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
}
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _mp3_frame_length(h: bytes) -> int | None:
    """Length of the MPEG audio frame whose 4-byte header is `h`, or None if `h` is no header."""
    if len(h) < 4 or h[0] != 0xFF or h[1] & 0xE0 != 0xE0:
        return None
    version, layer_bits = (h[1] >> 3) & 3, (h[1] >> 1) & 3
    bitrate_index, rate_index, padding = h[2] >> 4, (h[2] >> 2) & 3, (h[2] >> 1) & 1
    if version == 1 or layer_bits == 0 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    layer = 4 - layer_bits
    mpeg1 = version == 3
    bitrate = _MP3_BITRATES[(mpeg1, layer)][bitrate_index - 1] * 1000
    rate = _MP3_RATES[version][rate_index]
    if layer == 1:
        return (12 * bitrate // rate + padding) * 4
    return (144 if mpeg1 or layer == 2 else 72) * bitrate // rate + padding


def _adts_frame_length(h: bytes) -> int | None:
    if len(h) < 7 or h[0] != 0xFF or h[1] & 0xF6 != 0xF0 or (h[2] >> 2) & 0xF > 12:
        return None
    length = ((h[3] & 3) << 11) | (h[4] << 3) | (h[5] >> 5)
    return length if length >= 7 else None


def _chained(head: bytes, at: int, frame_length: Callable[[bytes], int | None], *, strict: bool) -> bool:
    """A frame header at `at` and another right after it (if `strict`, the second must be visible)."""
    length = frame_length(head[at : at + 8])
    if length is None:
        return False
    following = at + length
    if following + 8 > len(head):
        return not strict
    return frame_length(head[following : following + 8]) is not None


def _audio_streams(head: bytes, ext: str) -> Sniffed | None:
    start = 0
    if head.startswith(b"ID3") and len(head) >= 10 and head[3] in (2, 3, 4) and max(head[6:10]) < 0x80:
        size = sum((b & 0x7F) << (7 * (3 - i)) for i, b in enumerate(head[6:10]))
        start = 10 + size + (10 if head[5] & 0x10 else 0)
        if start + 4 > len(head):
            return Sniffed(_A, "audio/mpeg", "mp3")  # the tag fills the head; an ID3 tag means MPEG audio
        if head[start : start + 4] == b"fLaC":
            return Sniffed(_A, "audio/flac", "flac")
    strict = start == 0  # bare frame sync, no ID3 tag: two frames in a row, or it is not audio
    if _chained(head, start, _adts_frame_length, strict=strict):
        return Sniffed(_A, "audio/aac", "aac")
    if _chained(head, start, _mp3_frame_length, strict=strict):
        return Sniffed(_A, "audio/mpeg", "mp3")
    if start:
        return Sniffed(_A, "audio/mpeg", "mp3")
    return None


# --- Documents, archives, executables ---------------------------------------------------------------

_OOXML = {"docx", "xlsx", "pptx", "docm", "xlsm", "pptm"}


def _non_media(head: bytes, ext: str) -> Sniffed | None:
    if head.startswith(b"%PDF-"):
        return Sniffed(_O, "application/pdf", "pdf")
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        if head[30:38] == b"mimetype":  # EPUB and OpenDocument store their type first, uncompressed
            declared = re.match(rb"[a-z0-9.+/-]{3,100}", head[38:140])
            if declared:
                mime = declared.group().decode("ascii")
                return Sniffed(_O, mime, "epub" if mime == "application/epub+zip" else "opendocument")
        if ext in _OOXML:
            return Sniffed(_O, MIME_BY_EXTENSION[ext[:3] + "x"], ext)
        return Sniffed(_O, "application/zip", "zip")
    for magic, mime, fmt in _ARCHIVE_MAGIC:
        if head.startswith(magic):
            return Sniffed(_O, mime, fmt)
    if head[:3] == b"BZh" and head[3:4].isdigit():
        return Sniffed(_O, "application/x-bzip2", "bzip2")
    if head[:2] == b"MZ" and len(head) >= 64:
        pe_at = int.from_bytes(head[0x3C:0x40], "little")
        if head[pe_at : pe_at + 4] == b"PE\x00\x00" or (pe_at + 4 > len(head) and b"\x00" in head[:64]):
            return Sniffed(_O, "application/vnd.microsoft.portable-executable", "exe")
    return None


_ARCHIVE_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"\x1f\x8b\x08", "application/gzip", "gzip"),
    (b"\xfd7zXZ\x00", "application/x-xz", "xz"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed", "7z"),
    (b"Rar!\x1a\x07", "application/vnd.rar", "rar"),
    (b"\x28\xb5\x2f\xfd", "application/zstd", "zstd"),
    (b"SQLite format 3\x00", "application/vnd.sqlite3", "sqlite"),
    (b"\x7fELF", "application/x-executable", "elf"),
    (b"{\\rtf", "application/rtf", "rtf"),
)

_BINARY_CHECKS = (
    _iso_bmff,
    _matroska,
    _riff,
    _tagged_containers,
    _images,
    _non_media,
    _mpeg_ts,
    _audio_streams,
)
