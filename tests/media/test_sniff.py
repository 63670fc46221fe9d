"""Content sniffing: magic bytes decide, names only break ties, text is never media."""

from __future__ import annotations

import gzip
import io
import os
import zipfile
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from mediagen import make_audio, make_hls_playlist, make_image, make_video, make_wav
from PIL import Image

from evidence.core.types import MediaKind
from evidence.media.probe.sniff import (
    SNIFF_BYTES,
    Sniffed,
    declared_extension,
    mime_for_extension,
    sniff,
    sniff_file,
)

VIDEO, IMAGE, AUDIO, OTHER = MediaKind.VIDEO, MediaKind.IMAGE, MediaKind.AUDIO, MediaKind.OTHER


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x02\x00" + b"".join(compatible)
    return (8 + len(body)).to_bytes(4, "big") + b"ftyp" + body + b"\x00\x00\x00\x08free"


MP3_FRAME = b"\xff\xfb\x90\x64" + bytes(413)  # MPEG-1 layer III, 128 kbit/s, 44.1 kHz: 417 bytes
ADTS_FRAME = b"\xff\xf1\x50\x80\x0c\x9f\xfc" + bytes(93)  # AAC LC, 44.1 kHz, stereo: 100 bytes
TS_PACKET = b"\x47\x40\x00\x10" + b"\xff" * 184

HEADS = {
    "mp4": (ftyp(b"isom", b"isom", b"avc1", b"mp41"), VIDEO, "video/mp4", "mp4"),
    "mp4-mp42": (ftyp(b"mp42", b"mp42", b"isom"), VIDEO, "video/mp4", "mp4"),
    "mov": (ftyp(b"qt  ", b"qt  "), VIDEO, "video/quicktime", "mov"),
    "mov-legacy": (b"\x00\x00\x00\x08wide\x00\x00\x10\x00mdat", VIDEO, "video/quicktime", "mov"),
    "3gp": (ftyp(b"3gp4", b"isom", b"3gp4"), VIDEO, "video/3gpp", "3gp"),
    "3g2": (ftyp(b"3g2a", b"3g2a"), VIDEO, "video/3gpp2", "3gp"),
    "m4a": (ftyp(b"M4A ", b"M4A ", b"mp42", b"isom"), AUDIO, "audio/mp4", "m4a"),
    "heic": (ftyp(b"heic", b"mif1", b"heic"), IMAGE, "image/heic", "heic"),
    "heic-generic-major": (ftyp(b"mif1", b"mif1", b"heic"), IMAGE, "image/heic", "heic"),
    "heif": (ftyp(b"mif1", b"mif1"), IMAGE, "image/heif", "heif"),
    "avif": (ftyp(b"avif", b"mif1", b"avif", b"miaf"), IMAGE, "image/avif", "avif"),
    "webm": (
        b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm\x42\x87\x81\x04",
        VIDEO,
        "video/webm",
        "webm",
    ),
    "mkv": (
        b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska",
        VIDEO,
        "video/x-matroska",
        "matroska",
    ),
    "avi": (b"RIFF\x00\x10\x00\x00AVI LIST", VIDEO, "video/x-msvideo", "avi"),
    "wav": (b"RIFF\x24\x00\x00\x00WAVEfmt ", AUDIO, "audio/wav", "wav"),
    "webp": (b"RIFF\x24\x00\x00\x00WEBPVP8 ", IMAGE, "image/webp", "webp"),
    "ts": (TS_PACKET * 4, VIDEO, "video/mp2t", "mpegts"),
    "m2ts": ((b"\x00\x00\x00\x00" + TS_PACKET) * 4, VIDEO, "video/mp2t", "mpegts"),
    "mpeg-ps": (b"\x00\x00\x01\xba\x44\x00\x04\x00\x04\x01", VIDEO, "video/mpeg", "mpegps"),
    "h264": (b"\x00\x00\x00\x01\x67\x42\xc0\x1e", VIDEO, "video/h264", "h264"),
    "flv": (b"FLV\x01\x05\x00\x00\x00\x09", VIDEO, "video/x-flv", "flv"),
    "ogg-vorbis": (b"OggS\x00\x02" + bytes(22) + b"\x01vorbis", AUDIO, "audio/ogg", "ogg"),
    "ogg-theora": (b"OggS\x00\x02" + bytes(22) + b"\x80theora", VIDEO, "video/ogg", "ogg"),
    "asf": (bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c") + bytes(8), VIDEO, "video/x-ms-asf", "asf"),
    "jpeg": (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", IMAGE, "image/jpeg", "jpeg"),
    "png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR" + bytes(17) + b"IDAT", IMAGE, "image/png", "png"),
    "apng": (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR" + bytes(17) + b"acTL" + bytes(12) + b"IDAT",
        IMAGE,
        "image/apng",
        "png",
    ),
    "gif": (b"GIF89a\x10\x00\x10\x00", IMAGE, "image/gif", "gif"),
    "bmp": (
        b"BM\x36\x00\x0c\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00" + bytes(10),
        IMAGE,
        "image/bmp",
        "bmp",
    ),
    "tiff-le": (b"II*\x00\x08\x00\x00\x00", IMAGE, "image/tiff", "tiff"),
    "tiff-be": (b"MM\x00*\x00\x00\x00\x08", IMAGE, "image/tiff", "tiff"),
    "ico": (
        b"\x00\x00\x01\x00\x01\x00\x10\x10\x00\x00\x01\x00\x20\x00" + bytes(10),
        IMAGE,
        "image/vnd.microsoft.icon",
        "ico",
    ),
    "mp3-id3": (b"ID3\x04\x00\x00\x00\x00\x00\x0a" + bytes(10) + MP3_FRAME, AUDIO, "audio/mpeg", "mp3"),
    "mp3-sync": (MP3_FRAME * 3, AUDIO, "audio/mpeg", "mp3"),
    "flac": (b"fLaC\x00\x00\x00\x22" + bytes(34), AUDIO, "audio/flac", "flac"),
    "flac-id3": (b"ID3\x03\x00\x00\x00\x00\x00\x00fLaC\x80\x00\x00\x22", AUDIO, "audio/flac", "flac"),
    "aac-adts": (ADTS_FRAME * 3, AUDIO, "audio/aac", "aac"),
    "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", OTHER, "application/pdf", "pdf"),
    "gzip": (b"\x1f\x8b\x08\x00" + bytes(6), OTHER, "application/gzip", "gzip"),
    "text": (b"Meeting notes\nnothing to see here\n", OTHER, "text/plain", "text"),
    "utf8-bom": (
        "\ufeff\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440\n".encode(),
        OTHER,
        "text/plain",
        "text",
    ),
    "utf16": ("\ufeffhello".encode("utf-16-le"), OTHER, "text/plain", "text"),
    "html": (b"<!DOCTYPE html><html><head><title>x</title>", OTHER, "text/html", "html"),
    "json": (b'{"clip": "a.mp4", "n": 3}', OTHER, "application/json", "json"),
    "hls": (
        b"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nseg0.ts\n",
        OTHER,
        "application/vnd.apple.mpegurl",
        "hls",
    ),
    "ffconcat": (b"ffconcat version 1.0\nfile /etc/passwd\n", OTHER, "text/plain", "ffconcat"),
    "sdp": (
        b"v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nm=video 5004 RTP/AVP 96\r\n",
        OTHER,
        "application/sdp",
        "sdp",
    ),
    "dash": (
        b'<?xml version="1.0"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011">',
        OTHER,
        "application/dash+xml",
        "dash",
    ),
    "svg": (b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', OTHER, "image/svg+xml", "svg"),
    "webvtt": (b"WEBVTT\n\n00:00.000 --> 00:01.000\nhi\n", OTHER, "text/vtt", "webvtt"),
    "srt": (b"1\n00:00:00,000 --> 00:00:01,000\nhi\n", OTHER, "application/x-subrip", "srt"),
    "empty": (b"", OTHER, None, "empty"),
    "binary": (bytes(range(256)) * 4, OTHER, None, None),
}


@pytest.mark.parametrize("case", sorted(HEADS))
def test_magic_bytes(case: str) -> None:
    head, kind, mime, fmt = HEADS[case]
    assert sniff(head) == Sniffed(kind, mime, fmt)


def test_the_name_never_turns_unknown_bytes_into_media() -> None:
    assert sniff(b"just words", "clip.mp4").kind is OTHER
    assert sniff(bytes(range(256)), "clip.mp4") == Sniffed(OTHER, None, None)
    assert sniff(HEADS["jpeg"][0], "photo.mp4").format == "jpeg"


def test_the_name_only_breaks_ties() -> None:
    asf = HEADS["asf"][0]
    assert sniff(asf, "talk.wma") == Sniffed(AUDIO, "audio/x-ms-wma", "asf")
    assert sniff(asf, "talk.wmv").mime == "video/x-ms-wmv"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    assert sniff(buffer.getvalue(), "report.docx").format == "docx"
    assert sniff(buffer.getvalue(), "report.docx").mime == mime_for_extension("docx")
    assert sniff(buffer.getvalue(), "archive.zip") == Sniffed(OTHER, "application/zip", "zip")


def test_epub_declares_its_own_type() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
    assert sniff(buffer.getvalue(), "book.zip") == Sniffed(OTHER, "application/epub+zip", "epub")


def test_truncated_json_head_still_reads_as_json() -> None:
    head = (b'{"items": [' + b'"x", ' * 2000)[:SNIFF_BYTES]
    assert sniff(head).format == "json"
    assert sniff(b'{"broken": ').format == "text"  # complete file, not valid JSON


def test_text_that_merely_contains_box_names_is_not_quicktime() -> None:
    assert sniff(b"the wide road, the moov and mdat").kind is OTHER
    assert sniff(b"abcdftypisom and so on").kind is OTHER
    assert (
        sniff(b"G" + b"x" * 187 + b"G" + b"y" * 187 + b"G" + b"z" * 200).kind is OTHER
    )  # 'G' every 188 bytes


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("clip.MP4", "mp4"),
        ("/evidence/in/clip.final.MoV", "mov"),
        ("C:\\Users\\x\\photo.JPG", "jpg"),
        ("archive.tar.gz", "gz"),
        ("README", ""),
        (".profile", ""),
        ("trailing.", ""),
        ("", ""),
        ("dir.d/file", ""),
    ],
)
def test_declared_extension(name: str, expected: str) -> None:
    assert declared_extension(name) == expected


def test_mime_for_extension() -> None:
    assert mime_for_extension("mp4") == "video/mp4"
    assert mime_for_extension(".JPG") == "image/jpeg"
    assert mime_for_extension("clip.webm") == "video/webm"
    assert mime_for_extension("m3u8") == "application/vnd.apple.mpegurl"
    assert mime_for_extension("nonsense") is None
    assert mime_for_extension("") is None


GENERATED = [
    ("clip.mp4", lambda p: make_video(p, seconds=0.2), Sniffed(VIDEO, "video/mp4", "mp4")),
    ("clip.mov", lambda p: make_video(p, seconds=0.2), Sniffed(VIDEO, "video/quicktime", "mov")),
    ("clip.mkv", lambda p: make_video(p, seconds=0.2), Sniffed(VIDEO, "video/x-matroska", "matroska")),
    (
        "clip.webm",
        lambda p: make_video(p, seconds=0.2, codec="libvpx-vp9"),
        Sniffed(VIDEO, "video/webm", "webm"),
    ),
    (
        "clip.avi",
        lambda p: make_video(p, seconds=0.2, codec="mpeg4"),
        Sniffed(VIDEO, "video/x-msvideo", "avi"),
    ),
    ("clip.ts", lambda p: make_video(p, seconds=0.2), Sniffed(VIDEO, "video/mp2t", "mpegts")),
    ("clip.flv", lambda p: make_video(p, seconds=0.2, codec="flv"), Sniffed(VIDEO, "video/x-flv", "flv")),
    ("tone.m4a", lambda p: make_audio(p, seconds=0.2), Sniffed(AUDIO, "audio/mp4", "m4a")),
    ("tone.mp3", lambda p: make_audio(p, seconds=0.2), Sniffed(AUDIO, "audio/mpeg", "mp3")),
    ("tone.aac", lambda p: make_audio(p, seconds=0.2), Sniffed(AUDIO, "audio/aac", "aac")),
    ("tone.flac", lambda p: make_audio(p, seconds=0.2), Sniffed(AUDIO, "audio/flac", "flac")),
    ("tone.ogg", lambda p: make_audio(p, seconds=0.2), Sniffed(AUDIO, "audio/ogg", "ogg")),
    ("tone.wav", lambda p: make_wav(p, seconds=0.2), Sniffed(AUDIO, "audio/wav", "wav")),
    ("still.jpg", make_image, Sniffed(IMAGE, "image/jpeg", "jpeg")),
    ("still.png", make_image, Sniffed(IMAGE, "image/png", "png")),
    ("still.gif", make_image, Sniffed(IMAGE, "image/gif", "gif")),
    ("still.webp", make_image, Sniffed(IMAGE, "image/webp", "webp")),
    ("still.tiff", make_image, Sniffed(IMAGE, "image/tiff", "tiff")),
    ("still.bmp", make_image, Sniffed(IMAGE, "image/bmp", "bmp")),
    ("still.ico", lambda p: make_image(p, size=(32, 32)), Sniffed(IMAGE, "image/vnd.microsoft.icon", "ico")),
]


@pytest.mark.parametrize(("name", "make", "expected"), GENERATED, ids=[g[0] for g in GENERATED])
def test_real_files(tmp_path: Path, name: str, make: object, expected: Sniffed) -> None:
    path = tmp_path / name
    make(path)  # type: ignore[operator]
    assert sniff(path.read_bytes()[:SNIFF_BYTES]) == expected
    assert sniff_file(path) == expected


def test_real_non_media(tmp_path: Path) -> None:
    (tmp_path / "a.gz").write_bytes(gzip.compress(b"hello"))
    assert sniff_file(tmp_path / "a.gz").format == "gzip"
    playlist = make_hls_playlist(tmp_path / "innocent.mp4", ["/etc/passwd"])
    assert sniff_file(playlist) == Sniffed(OTHER, "application/vnd.apple.mpegurl", "hls")
    Image.new("RGB", (8, 8)).save(tmp_path / "doc.pdf", "PDF")
    assert sniff_file(tmp_path / "doc.pdf").format == "pdf"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_sniff_file_does_not_block_on_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    assert sniff_file(fifo) == Sniffed(OTHER, None, None)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=SNIFF_BYTES))
def test_any_bytes_give_an_answer(head: bytes) -> None:
    found = sniff(head, "x.mp4")
    assert isinstance(found.kind, MediaKind)
    if found.kind is not OTHER:  # media always comes with a MIME type of its own kind
        assert found.mime is not None
        assert found.mime.startswith(f"{found.kind.value}/")


_TEXT = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x2FFF, blacklist_categories=("Cs",))
    | st.just("\n"),
    max_size=600,
)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_text_is_never_media(text: str) -> None:
    assume(not text.startswith(("GIF8", "RIFF", "FORM", "#!AMR", "BZh", "%PDF", "{\\rtf")))
    assert sniff(text.encode("utf-8")).kind is OTHER


@settings(max_examples=100, deadline=None)
@given(
    st.text(max_size=200),
    st.sampled_from(["#EXTM3U", "ffconcat version 1.0", "v=0\no=- 0 0 IN IP4 0.0.0.0\ns=x"]),
)
def test_reference_formats_are_always_other(body: str, opening: str) -> None:
    found = sniff((opening + "\n" + body).encode("utf-8", errors="replace"))
    assert found.kind is OTHER
    assert found.format in {"hls", "ffconcat", "sdp", None}  # None: the body held binary control bytes
