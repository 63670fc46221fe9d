"""Probing: container, stream and EXIF metadata; broken, hostile and non-media files."""

from __future__ import annotations

import json
import os
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mediagen import (
    corrupt_bytes,
    make_animated_gif,
    make_audio,
    make_hls_playlist,
    make_image,
    make_jpeg_with_exif,
    make_png_bomb,
    make_video,
    make_wav,
    truncate,
)

from evidence.core.types import MediaKind
from evidence.errors import InputRefused
from evidence.media.probe.av import probe_av
from evidence.media.probe.common import MAX_VALUE_CHARS, clean_text, parse_iso6709
from evidence.media.probe.dispatch import ProbeResult, probe
from evidence.media.probe.sniff import Sniffed

MODES_DIR = Path(__file__).resolve().parents[3] / "shared" / "media" / "pdq" / "misc-images" / "modes"
CREATED = "2023-05-01T12:00:00.000000Z"
PARIS = "+48.8577+002.2950+035.000/"


def probed(path: Path) -> ProbeResult:
    """Probe and check the contract every result keeps: JSON-safe metadata, a one-line error."""
    result = probe(path)
    json.dumps(result.metadata, allow_nan=False)
    assert result.error is None or (result.error and "\n" not in result.error and len(result.error) <= 300)
    return result


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Clips generated once for the module (each takes a fraction of a second)."""
    root = tmp_path_factory.mktemp("media")
    tags = {"creation_time": CREATED, "location": PARIS, "title": "x" * 5000}
    return {
        "h264": make_video(root / "h264.mp4", seconds=2, tags=tags, audio=True),
        "rotated": make_video(root / "rotated.mp4", seconds=0.5, rotate=90),
        "faststart": make_video(root / "faststart.mp4", seconds=1, faststart=True),
        "mpeg4": make_video(root / "mpeg4.mp4", seconds=0.5, codec="mpeg4"),
        "vp9": make_video(root / "vp9.webm", seconds=0.5, codec="libvpx-vp9", size=(160, 120)),
        "m4a": make_audio(root / "tone.m4a", seconds=0.5),
    }


def test_h264_mp4(media: dict[str, Path]) -> None:
    result = probed(media["h264"])
    meta = result.metadata
    assert (result.kind, result.mime, result.error) == (MediaKind.VIDEO, "video/mp4", None)
    assert (meta["width"], meta["height"], meta["fps"], meta["rotation"]) == (320, 240, "30/1", 0)
    assert meta["duration"] == pytest.approx(2.0, abs=0.05)
    assert meta["video_codec"] == "h264"
    assert meta["audio_codec"] == "aac"
    assert meta["creation_time"] == "2023-05-01T12:00:00+00:00"
    assert meta["location"]["latitude"] == pytest.approx(48.8577)
    assert meta["location"]["longitude"] == pytest.approx(2.295)
    assert meta["location"]["altitude"] == pytest.approx(35.0)
    assert meta["major_brand"] == "isom"
    video, audio = meta["streams"]
    assert video["codec"] == "h264"
    assert video["profile"]
    assert video["frames"] == 60
    assert video["time_base"].count("/") == 1
    assert video["avg_frame_rate"] == video["guessed_frame_rate"] == "30/1"
    assert video["duration_exact"] == "2/1"
    assert video["pix_fmt"] == "yuv420p"
    assert video["attached_pic"] is False
    assert video["tags"]["handler_name"] == "VideoHandler"
    assert (audio["type"], audio["codec"], audio["sample_rate"], audio["channels"]) == (
        "audio",
        "aac",
        48000,
        1,
    )


def test_phone_tags(tmp_path: Path) -> None:
    tags = {
        "com.apple.quicktime.location.ISO6709": "+27.1751+078.0421+200.000/",
        "com.apple.quicktime.make": "Apple",
        "com.apple.quicktime.model": "iPhone 12",
        "com.apple.quicktime.creationdate": "2023-05-01T14:00:00+0200",
    }
    result = probed(make_video(tmp_path / "IMG_0001.MOV", seconds=0.2, tags=tags))
    meta = result.metadata
    assert (result.kind, result.mime, meta["major_brand"]) == (MediaKind.VIDEO, "video/quicktime", "qt  ")
    assert (meta["make"], meta["model"]) == ("Apple", "iPhone 12")
    assert meta["captured_at"] == "2023-05-01T12:00:00+00:00"
    assert meta["location"]["source"] == "com.apple.quicktime.location.ISO6709"
    assert (meta["location"]["latitude"], meta["location"]["longitude"]) == (27.1751, 78.0421)


def test_a_creation_time_with_no_utc_time_is_left_out(tmp_path: Path) -> None:
    tags = {
        "com.apple.quicktime.creationdate": "0001-01-01T00:00:00+0100",  # year 0 in UTC
        "com.apple.quicktime.make": "Apple",
    }
    result = probed(make_video(tmp_path / "IMG_0002.MOV", seconds=0.2, tags=tags))
    assert result.error is None and result.kind == MediaKind.VIDEO
    assert result.metadata["captured_at"] is None and result.metadata["make"] == "Apple"


def test_metadata_strings_are_capped(media: dict[str, Path]) -> None:
    title = probed(media["h264"]).metadata["tags"]["title"]
    assert title == "x" * MAX_VALUE_CHARS
    assert clean_text("a\x00b" + "c" * 5000) == "ab" + "c" * (MAX_VALUE_CHARS - 2)


@pytest.mark.parametrize(("rotate", "rotation"), [(90, -90), (180, 180), (270, 90)])
def test_rotation_written_as_display_matrix_is_read_back(tmp_path: Path, rotate: int, rotation: int) -> None:
    result = probed(make_video(tmp_path / "turned.mp4", seconds=0.2, rotate=rotate))
    meta = result.metadata
    assert meta["rotation"] == rotation
    assert meta["streams"][0]["rotation"] == rotation
    turned = rotate % 180 == 90
    assert (meta["display_width"], meta["display_height"]) == ((240, 320) if turned else (320, 240))
    assert (meta["width"], meta["height"]) == (320, 240)  # stored size is unchanged


def test_other_codecs_and_containers(media: dict[str, Path]) -> None:
    mpeg4 = probed(media["mpeg4"])
    assert (mpeg4.kind, mpeg4.error, mpeg4.metadata["video_codec"]) == (MediaKind.VIDEO, None, "mpeg4")
    vp9 = probed(media["vp9"])
    assert (vp9.kind, vp9.mime, vp9.error) == (MediaKind.VIDEO, "video/webm", None)
    assert (vp9.metadata["video_codec"], vp9.metadata["width"], vp9.metadata["height"]) == ("vp9", 160, 120)


def test_audio_only_is_audio_not_an_error(tmp_path: Path, media: dict[str, Path]) -> None:
    m4a = probed(media["m4a"])
    assert (m4a.kind, m4a.mime, m4a.error) == (MediaKind.AUDIO, "audio/mp4", None)
    assert m4a.metadata["audio_codec"] == "aac"
    assert "width" not in m4a.metadata
    wav = probed(make_wav(tmp_path / "tone.wav", seconds=0.5))
    assert (wav.kind, wav.mime, wav.error) == (MediaKind.AUDIO, "audio/wav", None)
    assert wav.metadata["streams"][0]["codec"] == "pcm_s16le"
    assert wav.metadata["duration"] == pytest.approx(0.5)
    webm = probed(make_audio(tmp_path / "voice.webm", seconds=0.3))
    assert (webm.kind, webm.mime) == (MediaKind.AUDIO, "audio/webm")


def test_cover_art_does_not_make_audio_a_video(tmp_path: Path) -> None:
    result = probed(make_audio(tmp_path / "song.mp3", seconds=0.5, cover=True))
    assert (result.kind, result.mime, result.error) == (MediaKind.AUDIO, "audio/mpeg", None)
    assert [s["type"] for s in result.metadata["streams"]] == ["audio", "video"]
    assert result.metadata["streams"][1]["attached_pic"] is True


def test_truncated_before_moov(tmp_path: Path, media: dict[str, Path]) -> None:
    cut = truncate(media["h264"], tmp_path / "cut.mp4", 0.5)  # mediagen writes moov after the media data
    result = probed(cut)
    assert result.kind is MediaKind.VIDEO
    assert result.error == "truncated or corrupt: moov atom not found"


def test_truncated_media_data_is_a_warning(tmp_path: Path, media: dict[str, Path]) -> None:
    result = probed(truncate(media["faststart"], tmp_path / "cut.mp4", 0.6))
    assert (result.kind, result.error) == (MediaKind.VIDEO, None)
    assert any("truncated" in warning for warning in result.metadata["warnings"])


@pytest.mark.parametrize("name", ["h264", "vp9", "m4a"])
def test_flipped_bytes_never_raise(tmp_path: Path, media: dict[str, Path], name: str) -> None:
    source = media[name]
    for seed in range(6):
        result = probed(corrupt_bytes(source, tmp_path / f"{seed}{source.suffix}", count=20, seed=seed))
        assert isinstance(result.kind, MediaKind)
    header_smashed = probed(corrupt_bytes(source, tmp_path / f"head{source.suffix}", positions=range(0, 12)))
    assert header_smashed.kind is MediaKind.OTHER


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_damage_gives_a_result(tmp_path: Path, media: dict[str, Path], data: st.DataObject) -> None:
    source = media[data.draw(st.sampled_from(["h264", "vp9", "m4a"]))]
    size = source.stat().st_size
    positions = data.draw(st.lists(st.integers(0, size - 1), max_size=30))
    keep = data.draw(st.integers(0, size))
    target = tmp_path / f"damaged{source.suffix}"
    corrupt_bytes(source, target, positions=positions)
    truncate(target, target, keep)
    if keep == 0:
        assert probed(target) == ProbeResult(MediaKind.OTHER, None, {"detected": "empty"}, None)
    else:
        probed(target)


def run_with_deadline(call: Callable[[], Any], seconds: float = 10.0) -> Any:
    """Run `call` in a thread and return (or raise) what it did; fail instead of hanging if it blocks."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append((True, call()))
        except BaseException as exc:  # handed back to the test's thread
            outcome.append((False, exc))

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "blocked: something opened the FIFO"
    returned, value = outcome[0]
    if not returned:
        raise value
    return value


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_hls_playlist_named_mp4_is_never_opened(tmp_path: Path, media: dict[str, Path]) -> None:
    fifo = tmp_path / "segment.ts"
    os.mkfifo(fifo)  # opening it for reading would block: the test fails if anything follows the playlist
    playlist = make_hls_playlist(tmp_path / "clip.mp4", [fifo, media["h264"], "http://127.0.0.1:9/x.ts"])
    result = run_with_deadline(lambda: probed(playlist))
    assert (result.kind, result.mime, result.error) == (
        MediaKind.OTHER,
        "application/vnd.apple.mpegurl",
        None,
    )
    assert result.metadata["detected"] == "hls"
    # defence in depth: even handed to PyAV as a video, the playlist is not followed
    lied = Sniffed(MediaKind.VIDEO, "video/mp2t", "mpegts")
    forced = run_with_deadline(lambda: probe_av(playlist, lied))
    assert forced.error is not None
    assert "streams" not in forced.metadata or not forced.metadata["streams"]


@pytest.mark.parametrize(
    ("name", "content", "detected", "mime"),
    [
        ("notes.mp4", b"this is not a video\n", "text", "text/plain"),
        ("list.mp4", b"ffconcat version 1.0\nfile '/etc/hostname'\n", "ffconcat", "text/plain"),
        (
            "cam.mp4",
            b"v=0\no=- 0 0 IN IP4 127.0.0.1\ns=cam\nm=video 5004 RTP/AVP 96\n",
            "sdp",
            "application/sdp",
        ),
        ("doc.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", "pdf", "application/pdf"),
        ("data.json", b'{"a": 1}', "json", "application/json"),
        ("page.mp4", b"<!doctype html><html><body>x</body></html>", "html", "text/html"),
        ("noise.bin", bytes(range(256)) * 8, "unknown", None),
        ("empty.mp4", b"", "empty", None),
    ],
)
def test_non_media(tmp_path: Path, name: str, content: bytes, detected: str, mime: str | None) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = probed(path)
    assert (result.kind, result.mime, result.error) == (MediaKind.OTHER, mime, None)
    assert result.metadata["detected"] == detected


def test_zip(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "bundle.zip", "w") as archive:
        archive.writestr("clip.mp4", b"not really")
    result = probed(tmp_path / "bundle.zip")
    assert (result.kind, result.mime, result.metadata["detected"]) == (
        MediaKind.OTHER,
        "application/zip",
        "zip",
    )


def test_probe_is_pure(media: dict[str, Path]) -> None:
    path = media["h264"]
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    assert probe(path) == probe(path)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    with pytest.raises(InputRefused):
        probe(tmp_path / "missing.mp4")
    with pytest.raises(InputRefused):
        probe(tmp_path)
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe")
        with pytest.raises(InputRefused):
            run_with_deadline(lambda: probe(tmp_path / "pipe"))


# --- images -------------------------------------------------------------------------------------------


def test_jpeg_with_exif(tmp_path: Path) -> None:
    result = probed(make_jpeg_with_exif(tmp_path / "photo.jpg"))
    meta = result.metadata
    assert (result.kind, result.mime, result.error) == (MediaKind.IMAGE, "image/jpeg", None)
    assert (meta["format"], meta["width"], meta["height"], meta["mode"]) == ("JPEG", 320, 240, "RGB")
    assert (meta["orientation"], meta["make"], meta["model"]) == (6, "Canon", "Canon EOS 5D")
    assert meta["software"] == "evidence-tests"
    assert meta["taken_at"] == "2021-03-04T08:11:12+00:00"
    assert meta["taken_at_local"] == "2021-03-04T10:11:12"
    assert meta["gps"]["latitude"] == pytest.approx(48.8577, abs=1e-5)
    assert meta["gps"]["longitude"] == pytest.approx(2.2950, abs=1e-5)
    assert meta["exif"]["DateTimeOriginal"] == "2021:03:04 10:11:12"
    assert meta["verified"] is True


def test_exif_south_west_altitude_and_unknown_offset(tmp_path: Path) -> None:
    path = make_jpeg_with_exif(tmp_path / "p.jpg", gps=(-33.5, -70.25, 512.0), offset=None, orientation=1)
    meta = probed(path).metadata
    assert (meta["gps"]["latitude"], meta["gps"]["longitude"]) == (
        pytest.approx(-33.5),
        pytest.approx(-70.25),
    )
    assert meta["gps"]["altitude"] == pytest.approx(512.0)
    assert meta["taken_at"] is None  # no offset: the instant is unknown, only the wall-clock time
    assert meta["taken_at_local"] == "2021-03-04T10:11:12"


@pytest.mark.parametrize(
    ("name", "mode", "expected_mode"),
    [
        ("rgb.png", "RGB", "RGB"),
        ("deep.png", "I;16", "I;16"),
        ("print.jpg", "CMYK", "CMYK"),
        ("grey.png", "L", "L"),
        ("photo.webp", "RGB", "RGB"),
        ("alpha.png", "RGBA", "RGBA"),
        ("scan.tiff", "RGB", "RGB"),
        ("old.bmp", "RGB", "RGB"),
    ],
)
def test_image_modes(tmp_path: Path, name: str, mode: str, expected_mode: str) -> None:
    result = probed(make_image(tmp_path / name, mode=mode))
    assert (result.kind, result.error) == (MediaKind.IMAGE, None)
    assert (result.metadata["mode"], result.metadata["frames"], result.metadata["animated"]) == (
        expected_mode,
        1,
        False,
    )


@pytest.mark.parametrize("name", ["anim.gif", "anim.webp", "anim.png"])
def test_animated_images(tmp_path: Path, name: str) -> None:
    result = probed(make_animated_gif(tmp_path / name, frames=5))
    assert (result.kind, result.error) == (MediaKind.IMAGE, None)
    assert (result.metadata["frames"], result.metadata["animated"]) == (5, True)


@pytest.mark.parametrize("name", ["cut.jpg", "cut.png", "cut.gif"])
def test_truncated_images(tmp_path: Path, name: str) -> None:
    whole = make_image(tmp_path / f"whole{Path(name).suffix}", size=(256, 256))
    result = probed(truncate(whole, tmp_path / name, 0.6))
    assert (result.kind, result.error) == (MediaKind.IMAGE, "truncated or corrupt image")


def test_decompression_bomb_is_reported_not_decoded(tmp_path: Path) -> None:
    result = probed(make_png_bomb(tmp_path / "bomb.png", 100_000, 100_000))
    assert (result.kind, result.error) == (MediaKind.IMAGE, "image too large: 100000 x 100000")
    assert (result.metadata["detected"], result.metadata.get("verified")) == ("png", None)


def test_pixel_limit_holds_without_pillows_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)  # someone switched Pillow's guard off
    result = probed(make_png_bomb(tmp_path / "big.png", 20_000, 9_000))
    assert (result.kind, result.error) == (MediaKind.IMAGE, "image too large: 20000 x 9000")
    assert "verified" not in result.metadata


@pytest.mark.skipif(not MODES_DIR.is_dir(), reason="shared media not present")
@pytest.mark.parametrize("name", sorted(p.name for p in MODES_DIR.glob("*.*") if p.suffix != ".md") or ["-"])
def test_shared_images_in_every_mode(name: str) -> None:
    result = probed(MODES_DIR / name)
    assert (result.kind, result.error) == (MediaKind.IMAGE, None), result
    assert result.metadata["width"] > 0
    assert result.metadata["height"] > 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+48.8577+002.2950/", (48.8577, 2.295, None)),
        ("+48.8577+002.2950+035.000/", (48.8577, 2.295, 35.0)),
        ("-33.5000-070.2500+512.000/", (-33.5, -70.25, 512.0)),
        ("+4851.462+00217.700/", (48.8577, 2.295, None)),
        ("+485127.72+0021742.00/", (48.8577, 2.295, None)),
        ("+48.8577+002.2950+035.000CRSWGS_84/", (48.8577, 2.295, 35.0)),
        ("+91.0+000.0/", None),
        ("Paris", None),
        ("", None),
    ],
)
def test_iso6709(text: str, expected: tuple[float, float, float | None] | None) -> None:
    point = parse_iso6709(text)
    if expected is None:
        assert point is None
        return
    assert point is not None
    assert (point["latitude"], point["longitude"]) == (pytest.approx(expected[0]), pytest.approx(expected[1]))
    assert point["altitude"] == expected[2]


def test_png_text_chunks_are_kept_as_data(tmp_path: Path) -> None:
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "__import__('os').system('id')")
    info.add_itxt("Author", "\u0416" * 3000)
    Image.new("RGB", (16, 16)).save(tmp_path / "notes.png", pnginfo=info)
    text = probed(tmp_path / "notes.png").metadata["text"]
    assert text["Comment"] == "__import__('os').system('id')"
    assert text["Author"] == "\u0416" * MAX_VALUE_CHARS
