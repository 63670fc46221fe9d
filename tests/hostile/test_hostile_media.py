"""Bad input, part 2: videos and things that pretend to be videos.

Exit codes asserted here: 0 when the file is analysed (however odd: variable frame rate, rotation,
a header that lies, an hour between two frames); 3 when it is preserved exactly but analysis cannot
be done (truncated before the index, no decodable stream, not a video at all, too large), with the
item marked `failed:<reason>`. A reference format (HLS playlist, ffconcat list) is preserved as the
bytes it is and never followed: the file it names is never opened.
"""

from __future__ import annotations

import json
import os
import resource
import struct
import subprocess
import sys
import zipfile
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pytest
from conftest import Catalogue
from hostile_kit import (
    FifoWatch,
    add_hostile,
    clip_frames,
    frames_of,
    item_rows,
    patch_u32,
    png_frames_movie,
    png_image,
    rows,
    solid_clip,
    write_frames,
)
from mediagen import corrupt_bytes, make_audio, make_hls_playlist, make_video, make_wav, truncate

SIZE = (160, 120)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 s of H.264 in MP4 with the `moov` index at the end (FFmpeg's default: faststart off)."""
    return make_video(tmp_path_factory.mktemp("clip") / "clip.mp4", seconds=2, size=SIZE, seed=1)


def _copy(source: Path, target: Path) -> Path:
    target.write_bytes(source.read_bytes())
    return target


# --------------------------------------------------------------------------- truncated, flipped


def test_truncated_mp4_without_its_moov_is_preserved_with_failed_analysis(
    catalogue: Catalogue, clip: Path
) -> None:
    cut = truncate(clip, catalogue.home / "cut.mp4", 0.5)
    assert b"moov" not in cut.read_bytes()
    add_hostile(
        catalogue,
        cut,
        code=3,
        analysis="failed:truncated or corrupt: moov atom not found",
        problems=["moov atom not found"],
    )


@pytest.mark.parametrize("faststart", [False, True], ids=["moov-at-end", "moov-first"])
def test_mp4_with_the_moov_at_either_end_is_analysed(sqlite_catalogue: Catalogue, faststart: bool) -> None:
    path = make_video(sqlite_catalogue.home / "clip.mp4", seconds=1, size=SIZE, faststart=faststart, seed=2)
    data = path.read_bytes()
    assert (data.index(b"moov") < data.index(b"mdat")) is faststart
    run = add_hostile(sqlite_catalogue, path, code=0, analysis="ok")
    assert item_rows(sqlite_catalogue, run.results[0]["sha256"])["summary"]["frames_decoded"] == 30


@pytest.mark.parametrize("suffix", [".mp4", ".mkv", ".webm"])
def test_bytes_flipped_mid_stream_are_skipped_and_the_rest_analysed(
    sqlite_catalogue: Catalogue, suffix: str
) -> None:
    codec = "libvpx-vp9" if suffix == ".webm" else "libx264"
    good = make_video(sqlite_catalogue.home / f"good{suffix}", seconds=2, size=SIZE, codec=codec, seed=3)
    data = good.read_bytes()
    # in the middle of the media data (of an MP4: between its mdat header and its moov index)
    middle = (data.index(b"mdat") + data.index(b"moov")) // 2 if suffix == ".mp4" else len(data) // 2
    flipped = corrupt_bytes(
        good, sqlite_catalogue.home / f"flipped{suffix}", positions=range(middle, middle + 64)
    )
    good.unlink()
    run = add_hostile(sqlite_catalogue, flipped, code=0, analysis="ok")
    summary = item_rows(sqlite_catalogue, run.results[0]["sha256"])["summary"]
    assert 0 < summary["frames_decoded"] <= 60 and summary["sampled"] >= 1


def test_bytes_flipped_in_the_index_fail_only_the_analysis(sqlite_catalogue: Catalogue, clip: Path) -> None:
    data = clip.read_bytes()
    moov = data.index(b"moov")
    broken = corrupt_bytes(
        clip, sqlite_catalogue.home / "broken.mp4", positions=range(moov + 100, moov + 164)
    )
    add_hostile(
        sqlite_catalogue, broken, code=3, analysis="failed:", problems=["broken.mp4: no decodable stream"]
    )


# ------------------------------------------------------------------------------ not a video at all


def _text(path: Path) -> None:
    path.write_text("Five soldiers were killed near Palmyra.\n" * 20)


def _pdf(path: Path) -> None:
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")


def _zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("clip.mp4", b"\x00\x00\x00\x18ftypisom" + bytes(100))


@pytest.mark.parametrize(
    ("make", "content"),
    [(_text, "text/plain"), (_pdf, "application/pdf"), (_zip, "application/zip")],
    ids=["text", "pdf", "zip"],
)
def test_a_non_video_named_mp4_is_preserved_with_failed_analysis(
    sqlite_catalogue: Catalogue, make: Callable[[Path], None], content: str
) -> None:
    path = sqlite_catalogue.home / "video.mp4"
    make(path)
    run = add_hostile(
        sqlite_catalogue,
        path,
        code=3,
        analysis=f"failed:not a media file: content is {content}, name says .mp4",
        problems=["video.mp4: not a media file"],
    )
    assert run.results[0]["kind"] == "other"


def test_a_text_file_named_mp4_on_both_backends(catalogue: Catalogue) -> None:
    path = catalogue.home / "claimed.mp4"
    _text(path)
    add_hostile(catalogue, path, code=3, analysis="failed:not a media file", problems=["not a media file"])


# ---------------------------------------------------------------- references that must not be followed


def _hls(path: Path, targets: list[Path]) -> None:
    make_hls_playlist(path, targets)


def _ffconcat(path: Path, targets: list[Path]) -> None:
    path.write_text("ffconcat version 1.0\n" + "".join(f"file '{t}'\n" for t in targets))


@pytest.mark.parametrize(
    ("make", "name", "code"),
    [
        (_hls, "playlist.mp4", 3),
        (_hls, "playlist.m3u8", 0),  # honestly named: preserved as a playlist, nothing to analyse
        (_ffconcat, "list.mp4", 3),
        (_ffconcat, "list.mkv", 3),
    ],
    ids=["hls-as-mp4", "hls-as-m3u8", "ffconcat-as-mp4", "ffconcat-as-mkv"],
)
def test_a_reference_list_disguised_as_a_video_is_never_followed(
    sqlite_catalogue: Catalogue, clip: Path, make: Callable[[Path, list[Path]], None], name: str, code: int
) -> None:
    """The list names a FIFO (opening it would block, and the watch sees any open) and a real video
    (were it followed, analysis would succeed and store frames): neither happens."""
    home = sqlite_catalogue.home
    fifo = home / "segment.ts"
    os.mkfifo(fifo)
    real = _copy(clip, home / "segment-2.mp4")
    listing = home / name
    make(listing, [fifo, real])
    with FifoWatch(fifo) as watch:
        run = add_hostile(
            sqlite_catalogue,
            listing,
            code=code,
            analysis="ok" if code == 0 else "failed:not a media file",
            problems=[] if code == 0 else [f"{name}: not a media file"],
        )
    assert not watch.opened, "the file the list names was opened"
    [entry] = run.results
    assert entry["kind"] == "other"
    assert frames_of(sqlite_catalogue, entry["id"]) == []
    assert item_rows(sqlite_catalogue, entry["sha256"])["probe"]["detected"] in ("hls", "ffconcat")


# ------------------------------------------------------------------------------------ no picture


@pytest.mark.parametrize(
    ("name", "code"),
    [("voice.mp4", 3), ("voice.m4a", 0), ("voice.mp3", 0), ("voice.wav", 0)],
)
def test_audio_only(sqlite_catalogue: Catalogue, name: str, code: int) -> None:
    """Audio in a file named as a video is a failed analysis (there is no picture to fingerprint); named
    as audio it is analysed as what it is."""
    path = sqlite_catalogue.home / name
    if name.endswith(".wav"):
        make_wav(path)
    else:
        make_audio(path, seconds=1.0)
    run = add_hostile(
        sqlite_catalogue,
        path,
        code=code,
        analysis="ok" if code == 0 else "failed:no video stream: audio only",
        problems=[] if code == 0 else ["voice.mp4: no video stream: audio only"],
    )
    assert run.results[0]["kind"] == "audio"
    assert frames_of(sqlite_catalogue, run.results[0]["id"]) == []


def _unknown_codec_mkv(home: Path) -> Path:
    data = make_video(home / "source.mkv", seconds=1, size=SIZE, seed=4).read_bytes()
    assert data.count(b"V_MPEG4/ISO/AVC") == 1
    path = home / "unknown.mkv"
    path.write_bytes(data.replace(b"V_MPEG4/ISO/AVC", b"V_EVIDENCE/ZZZZ"))  # same length: still valid EBML
    return path


def _unknown_codec_mp4(home: Path) -> Path:
    data = make_video(home / "source.mp4", seconds=1, size=SIZE, seed=5).read_bytes()
    moov = data.index(b"moov")
    path = home / "unknown.mp4"
    path.write_bytes(data[:moov] + data[moov:].replace(b"avc1", b"zzz9"))  # the sample entry's codec
    return path


@pytest.mark.parametrize("make", [_unknown_codec_mkv, _unknown_codec_mp4], ids=["mkv", "mp4"])
def test_a_codec_the_build_cannot_decode_fails_only_the_analysis(
    sqlite_catalogue: Catalogue, make: Callable[[Path], Path]
) -> None:
    path = make(sqlite_catalogue.home)
    (sqlite_catalogue.home / ("source" + path.suffix)).unlink()
    add_hostile(
        sqlite_catalogue,
        path,
        code=3,
        analysis="failed:no decodable stream",
        problems=["no decodable stream"],
    )


# ------------------------------------------------------------------------------ odd but honest


def test_variable_frame_rate_is_sampled_by_real_time(sqlite_catalogue: Catalogue) -> None:
    pts_ms = [0, 40, 80, 500, 540, 1100, 1130, 1160, 2300, 2330, 2400, 3050, 3100, 4900]
    path = write_frames(
        sqlite_catalogue.home / "vfr.mp4", clip_frames(len(pts_ms)), pts_ms, Fraction(1, 1000)
    )
    run = add_hostile(sqlite_catalogue, path, code=0, analysis="ok")
    sampled = [f["time"] for f in frames_of(sqlite_catalogue, run.results[0]["id"]) if f["sampled"]]
    assert sampled == [0.0, 1.1, 2.3, 3.05, 4.9]


@pytest.mark.parametrize("rotate", [90, 180, 270])
def test_rotation_metadata_turns_the_displayed_size(sqlite_catalogue: Catalogue, rotate: int) -> None:
    path = make_video(
        sqlite_catalogue.home / f"r{rotate}.mp4", seconds=1, size=SIZE, rotate=rotate, seed=rotate
    )
    run = add_hostile(sqlite_catalogue, path, code=0, analysis="ok")
    shown = item_rows(sqlite_catalogue, run.results[0]["sha256"])
    upright = SIZE[::-1] if rotate % 180 else SIZE
    assert (shown["summary"]["width"], shown["summary"]["height"]) == upright
    assert (shown["probe"]["display_width"], shown["probe"]["display_height"]) == upright
    assert shown["summary"]["rotation"] == rotate


# ------------------------------------------------------------------------------- headers that lie


def _avi_claiming(home: Path, frames: int) -> Path:
    """An AVI of 30 real frames whose headers claim `frames` frames (avih and strh lengths)."""
    data = bytearray(
        make_video(home / "honest.avi", seconds=1, size=SIZE, codec="mpeg4", seed=8).read_bytes()
    )
    avih, strh = data.index(b"avih") + 8, data.index(b"strh") + 8
    patch_u32(data, avih + 16, frames, big_endian=False)  # dwTotalFrames
    patch_u32(data, strh + 32, frames, big_endian=False)  # dwLength
    path = home / "lying.avi"
    path.write_bytes(bytes(data))
    (home / "honest.avi").unlink()
    return path


@pytest.mark.parametrize("claimed", [10_000_000, 0x7FFFFFFF], ids=["4-days", "2-years"])
def test_a_lying_frame_count_does_not_change_what_is_decoded(
    sqlite_catalogue: Catalogue, claimed: int
) -> None:
    """The header claims days or years of video in 30 frames. The analysis decodes the 30 frames and
    says the file may be truncated. (A 2-year claim used to end in `internal error: OverflowError`:
    the time limit grew past what the worker's poll accepts, leaving the item `pending`.)"""
    path = _avi_claiming(sqlite_catalogue.home, claimed)
    run = add_hostile(sqlite_catalogue, path, code=0, analysis="ok")
    summary = item_rows(sqlite_catalogue, run.results[0]["sha256"])["summary"]
    assert summary["frames_decoded"] == 30 and summary["sampled"] == 1
    assert any("may be truncated" in w for w in summary["warnings"])


@pytest.mark.parametrize("frame_ns", [1_000_000, 4_000_000_000], ids=["claims-1000-fps", "claims-0.25-fps"])
def test_a_lying_frame_rate_does_not_move_the_frames(sqlite_catalogue: Catalogue, frame_ns: int) -> None:
    """Matroska's DefaultDuration (the header's frame rate) lies; the frames' own times are kept."""
    data = bytearray(
        make_video(sqlite_catalogue.home / "honest.mkv", seconds=2, size=SIZE, seed=9).read_bytes()
    )
    at = data.index(bytes.fromhex("23E38384")) + 4  # DefaultDuration: 4 bytes of nanoseconds a frame
    patch_u32(data, at, frame_ns)
    path = sqlite_catalogue.home / "lying.mkv"
    path.write_bytes(bytes(data))
    (sqlite_catalogue.home / "honest.mkv").unlink()
    run = add_hostile(sqlite_catalogue, path, code=0, analysis="ok")
    shown = item_rows(sqlite_catalogue, run.results[0]["sha256"])
    sampled = [f["time"] for f in frames_of(sqlite_catalogue, run.results[0]["id"]) if f["sampled"]]
    assert sampled == [0.0, 1.0] and shown["summary"]["frames_decoded"] == 60
    assert Fraction(shown["probe"]["fps"]) == Fraction(10**9, frame_ns)  # what the header claims, kept


# ------------------------------------------------------------------------------ long and sparse

BOUNDED = {"EVIDENCE_ANALYSIS_TIMEOUT": "20", "EVIDENCE_ANALYSIS_TIMEOUT_FACTOR": "0"}


def test_two_frames_an_hour_apart_are_analysed_in_bounded_work(sqlite_catalogue: Catalogue) -> None:
    """An hour of video made of two frames: finished well within a 20 s limit that ignores the
    duration, with a bounded number of stored frames (never one per second of the claimed hour)."""
    path = write_frames(sqlite_catalogue.home / "sparse.mp4", clip_frames(2), [0, 3600], Fraction(1), rate=1)
    run = add_hostile(sqlite_catalogue, path, code=0, analysis="ok", env=BOUNDED)
    shown = item_rows(sqlite_catalogue, run.results[0]["sha256"])
    assert shown["summary"]["duration"] == pytest.approx(3601, abs=1)
    assert len(frames_of(sqlite_catalogue, run.results[0]["id"])) <= 4


def _static_hour(path: Path, seconds: int) -> Path:
    picture = clip_frames(1, (64, 48))[0]
    return write_frames(path, [picture] * seconds, list(range(seconds)), Fraction(1), rate=1, gop=600)


@pytest.mark.slow
def test_an_hour_of_one_static_frame_at_1_fps_stores_at_most_one_frame_a_second(
    sqlite_catalogue: Catalogue,
) -> None:
    """Analysis alone (matching is the next test's subject): 3600 frames decoded, at most one stored
    per second plus the keyframes, within the default limits."""
    path = _static_hour(sqlite_catalogue.home / "static.mp4", 3600)
    run = add_hostile(sqlite_catalogue, path, code=0, analysis="ok", args=["--no-match"])
    shown = item_rows(sqlite_catalogue, run.results[0]["sha256"])
    assert shown["summary"]["frames_decoded"] == 3600 and shown["summary"]["sampled"] == 3600
    assert rows(sqlite_catalogue, "SELECT COUNT(*) FROM frame") == [(3600,)]


@pytest.mark.slow
def test_minutes_of_one_static_frame_can_be_matched_in_bounded_memory(tmp_path: Path) -> None:
    """400 s of one frame at 1 fps, then a copy of it (390 s, other bytes), each added with matching
    in a subprocess under a 1.5 GB address-space limit: identical query hashes are searched once and
    the item's own rows are left out before pairing, so the work no longer grows with the square of
    the duration (it once took 24 GB for an hour), and the copy is still found."""
    home = tmp_path / "case"
    home.mkdir()
    env = {**os.environ, "EVIDENCE_ACTOR": "tester", "EVIDENCE_CATALOGUE": "", "EVIDENCE_DATABASE_URL": ""}
    env = {k: v for k, v in env.items() if v}
    base = [sys.executable, "-m", "evidence", "--catalogue", str(home / ".evidence")]
    subprocess.run([*base[:3], "init", str(home)], env=env, check=True, capture_output=True)
    path = _static_hour(home / "static.mp4", 400)
    limit = 1500 << 20

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))

    copy = _static_hour(home / "static-copy.mp4", 390)
    found = []
    for clip in (path, copy):
        done = subprocess.run(
            [*base, "add", str(clip), "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            preexec_fn=cap,
        )
        assert done.returncode == 0, done.stderr
        found.append(json.loads(done.stdout)["results"][0])
    assert [m["id"] for m in found[1]["near_duplicates"]] == [found[0]["id"]]


# ----------------------------------------------------------------------------------- huge sizes


def test_huge_dimensions_declared_by_the_container_are_not_believed(
    sqlite_catalogue: Catalogue, clip: Path
) -> None:
    """The MP4 sample entry and track header say 65535 x 65535; the stream is 160 x 120 and analysed so."""
    data = bytearray(clip.read_bytes())
    entry = data.index(b"avc1", data.index(b"stsd")) + 4
    struct.pack_into(">HH", data, entry + 24, 65535, 65535)
    track = data.index(b"tkhd") + 4
    struct.pack_into(">II", data, track + 76, 65535 << 16, 65535 << 16)
    path = sqlite_catalogue.home / "giant.mp4"
    path.write_bytes(bytes(data))
    run = add_hostile(sqlite_catalogue, path, code=0, analysis="ok")
    summary = item_rows(sqlite_catalogue, run.results[0]["sha256"])["summary"]
    assert (summary["width"], summary["height"]) == SIZE


def test_frames_declaring_huge_dimensions_fail_only_the_analysis(sqlite_catalogue: Catalogue) -> None:
    """PNG frames whose own headers say 100000 x 100000 (FFmpeg refuses them before allocating)."""
    frame = png_image(100_000, 100_000, rows_of_data=2)
    path = png_frames_movie(sqlite_catalogue.home / "bomb.mov", frame, (16000, 16000))
    add_hostile(sqlite_catalogue, path, code=3, analysis="failed:", problems=["bomb.mov: no decodable frame"])


def test_a_video_bomb_is_refused_from_its_header(sqlite_catalogue: Catalogue) -> None:
    """Real, decodable 13400 x 13400 frames in a 640 kB file (180 M pixels a frame, past the limit
    images have): refused from the stream header, before the frames are decoded for analysis
    (they used to be decoded and hashed at full size)."""
    frame = png_image(13_400, 13_400, level=6)
    path = png_frames_movie(sqlite_catalogue.home / "bomb.mov", frame, (13_400, 13_400), count=3)
    assert path.stat().st_size < 1 << 20
    add_hostile(
        sqlite_catalogue,
        path,
        code=3,
        analysis="failed:video too large: 13400 x 13400",
        problems=["bomb.mov: video too large: 13400 x 13400"],
    )


# ------------------------------------------------------------------------------ nothing to see


def test_black_and_solid_colour_clips_are_flat_and_never_copies_of_each_other(
    sqlite_catalogue: Catalogue,
) -> None:
    home = sqlite_catalogue.home
    clips = [
        solid_clip(home / "black.mp4", (0, 0, 0), SIZE),
        solid_clip(home / "black-small.mp4", (0, 0, 0), (96, 64)),
        solid_clip(home / "red.mp4", (200, 20, 20), SIZE),
        solid_clip(home / "white.mp4", (255, 255, 255), SIZE),
    ]
    run = add_hostile(sqlite_catalogue, *clips, code=0, analysis="ok")
    assert [r["near_duplicates"] for r in run.results] == [[], [], [], []]
    for entry in run.results:
        sampled = [f for f in frames_of(sqlite_catalogue, entry["id"]) if f["sampled"]]
        assert sampled and all(f["flat"] for f in sampled), entry["path"]
    assert sqlite_catalogue.json("dupes")["clusters"] == []
    assert rows(sqlite_catalogue, "SELECT COUNT(*) FROM relation") == [(0,)]
