"""File-name extensions: what a name declares, and the MIME type usually meant by it."""

from __future__ import annotations

import re

__all__ = ["MIME_BY_EXTENSION", "declared_extension", "mime_for_extension"]

# fmt: off
MIME_BY_EXTENSION: dict[str, str] = {
    "mp4": "video/mp4", "m4v": "video/mp4", "m4a": "audio/mp4", "m4b": "audio/mp4", "f4v": "video/mp4",
    "mov": "video/quicktime", "qt": "video/quicktime", "3gp": "video/3gpp", "3g2": "video/3gpp2",
    "mkv": "video/x-matroska", "mka": "audio/x-matroska", "webm": "video/webm", "weba": "audio/webm",
    "avi": "video/x-msvideo", "wmv": "video/x-ms-wmv", "wma": "audio/x-ms-wma", "asf": "video/x-ms-asf",
    "flv": "video/x-flv", "ts": "video/mp2t", "mts": "video/mp2t", "m2ts": "video/mp2t",
    "mpg": "video/mpeg", "mpeg": "video/mpeg", "vob": "video/mpeg", "ogv": "video/ogg", "ogg": "audio/ogg",
    "oga": "audio/ogg", "opus": "audio/ogg", "h264": "video/h264", "264": "video/h264", "hevc": "video/h265",
    "mp3": "audio/mpeg", "aac": "audio/aac", "flac": "audio/flac", "wav": "audio/wav", "aif": "audio/aiff",
    "aiff": "audio/aiff", "amr": "audio/amr",
    "jpg": "image/jpeg", "jpeg": "image/jpeg", "jpe": "image/jpeg", "png": "image/png", "apng": "image/apng",
    "gif": "image/gif", "bmp": "image/bmp", "tif": "image/tiff", "tiff": "image/tiff", "webp": "image/webp",
    "ico": "image/vnd.microsoft.icon", "heic": "image/heic", "heif": "image/heif", "avif": "image/avif",
    "jp2": "image/jp2", "svg": "image/svg+xml",
    "pdf": "application/pdf", "zip": "application/zip", "gz": "application/gzip",
    "bz2": "application/x-bzip2",
    "xz": "application/x-xz", "7z": "application/x-7z-compressed", "rar": "application/vnd.rar",
    "zst": "application/zstd",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text", "epub": "application/epub+zip",
    "txt": "text/plain", "html": "text/html", "htm": "text/html", "json": "application/json",
    "xml": "application/xml", "csv": "text/csv", "rtf": "application/rtf", "vtt": "text/vtt",
    "srt": "application/x-subrip", "m3u8": "application/vnd.apple.mpegurl", "m3u": "audio/x-mpegurl",
    "sdp": "application/sdp", "mpd": "application/dash+xml", "ffconcat": "text/plain",
    "sqlite": "application/vnd.sqlite3", "exe": "application/vnd.microsoft.portable-executable",
}
# fmt: on


def declared_extension(name: str) -> str:
    """The extension a file name declares: lower-case, without the dot; "" when there is none.

    Only the last path component counts (both "/" and "\\" separate); a leading dot alone
    (".profile") is not an extension.
    """
    base = re.split(r"[/\\]", name)[-1]
    stem, dot, ext = base.rpartition(".")
    if not dot or not stem.strip(".") or not ext:
        return ""
    return ext.lower()


def mime_for_extension(ext: str) -> str | None:
    """The usual MIME type for an extension ("mp4", ".MP4" or a file name), or None if unknown."""
    key = ext.lower().lstrip(".")
    if key in MIME_BY_EXTENSION:
        return MIME_BY_EXTENSION[key]
    declared = declared_extension(ext)
    return MIME_BY_EXTENSION.get(declared) if declared else None
