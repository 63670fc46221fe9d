"""Video analysis on generated clips: cuts, time grid, VFR, rotation, borders, flat frames, failures."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from mediagen import (
    corrupt_bytes,
    make_audio,
    make_hls_playlist,
    make_video,
    scene_starts,
    truncate,
    video_frame,
)

from evidence.core.box import Box
from evidence.media.pdq import pdq_from_rgb
from evidence.media.video.analyse import MediaError, VideoAnalysis, analyse_video
from evidence.media.video.borders import BorderStats, rotate_box
from evidence.media.video.decode import single_threaded_maths

SIZE = (320, 240)


def write_clip(
    path: Path,
    frames: Iterable[np.ndarray],
    *,
    fps: int = 30,
    pts_ms: Sequence[int] | None = None,
    rotate: int | None = None,
    gop: int | None = None,
    pix_fmt: str = "yuv420p",
) -> Path:
    """Encode RGB frames with libx264; `pts_ms` gives each frame's time in ms (variable frame rate)."""
    options = {"preset": "ultrafast", "tune": "zerolatency"}
    if gop is not None:
        options |= {"g": str(gop), "keyint_min": str(gop)}
    pictures = list(frames)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps, options=options)
        stream.height, stream.width = pictures[0].shape[:2]
        stream.pix_fmt = pix_fmt
        time_base = Fraction(1, 1000) if pts_ms is not None else Fraction(1, fps)
        stream.codec_context.time_base = time_base
        if rotate:
            stream.set_display_rotation(-rotate)
        for i, picture in enumerate(pictures):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(picture), format="rgb24")
            frame.pts = pts_ms[i] if pts_ms is not None else i
            frame.time_base = time_base
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def padded(picture: np.ndarray, top: int, bottom: int, left: int, right: int) -> np.ndarray:
    return np.pad(picture, ((top, bottom), (left, right), (0, 0)))


def hamming(a: bytes, b: bytes) -> int:
    return int(np.unpackbits(np.frombuffer(bytes(x ^ y for x, y in zip(a, b, strict=True)), np.uint8)).sum())


def cut_indices(result: VideoAnalysis) -> list[int]:
    return [k.index for k in result.keyframes if k.reason == "scene-cut"]


def decode_jpeg(data: bytes) -> np.ndarray:
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert bgr is not None
    return np.asarray(bgr[:, :, ::-1])


# ------------------------------------------------------------------ cuts, grid, time


def test_cuts_at_scene_starts_and_time_grid(tmp_path: Path) -> None:
    frames = 150
    path = make_video(tmp_path / "cuts.mp4", seconds=5, fps=30, size=SIZE, scenes=5, seed=3)
    result = analyse_video(path)
    assert (result.width, result.height, result.rotation, result.border) == (320, 240, 0, None)
    assert result.frames_decoded == frames and result.duration == 5 and not result.warnings
    expected = scene_starts(frames, 5)[1:]
    found = cut_indices(result)
    assert len(found) == len(expected)
    assert all(abs(f - e) <= 1 for f, e in zip(found, expected, strict=True)), (found, expected)
    assert result.keyframes[0].reason == "first" and result.keyframes[0].index == 0
    assert all(k.score >= 20 for k in result.keyframes if k.reason == "scene-cut")
    assert [s.pts for s in result.sampled] == [0, 1, 2, 3, 4]
    assert [s.index for s in result.sampled] == [0, 30, 60, 90, 120]
    assert all(len(s.pdq) == 32 and s.quality >= 50 and not s.flat for s in result.sampled)
    assert all(s.pdq_raw is None and s.quality_raw is None for s in result.sampled)
    for keyframe in result.keyframes:
        thumb = decode_jpeg(keyframe.jpeg)
        assert thumb.shape == (240, 320, 3)
        expected_picture = video_frame(keyframe.index, frames, SIZE, 5, 3).astype(np.float32)
        assert np.abs(thumb.astype(np.float32) - expected_picture).mean() < 12


def test_sampling_interval_options(tmp_path: Path) -> None:
    path = make_video(tmp_path / "grid.mp4", seconds=2, fps=30, size=(160, 120))
    half = analyse_video(path, sample_interval=Fraction(1, 2))
    assert [s.pts for s in half.sampled] == [Fraction(k, 2) for k in range(4)]
    every = analyse_video(path, sample_interval=None)
    assert [s.index for s in every.sampled] == list(range(60))
    assert [s.pts for s in every.sampled] == [Fraction(i, 30) for i in range(60)]
    with pytest.raises(ValueError):
        analyse_video(path, sample_interval=Fraction(0))


def test_variable_frame_rate_sampled_by_real_time(tmp_path: Path) -> None:
    pts_ms = [0, 40, 80, 500, 540, 1100, 1130, 1160, 2300, 2330, 2400, 3050, 3100, 4900]
    pictures = [video_frame(i, len(pts_ms), (160, 120)) for i in range(len(pts_ms))]
    result = analyse_video(write_clip(tmp_path / "vfr.mkv", pictures, pts_ms=pts_ms))
    assert result.frames_decoded == len(pts_ms)
    # the first frame at or after each whole second; a gap covering several grid times counts once
    assert [(s.index, s.pts) for s in result.sampled] == [
        (0, 0), (5, Fraction(11, 10)), (8, Fraction(23, 10)), (11, Fraction(61, 20)), (13, Fraction(49, 10))
    ]  # fmt: skip


def test_no_false_cuts_on_fades_pans_and_flashes(tmp_path: Path) -> None:
    wide = video_frame(0, 1, (1280, 120), scenes=1, seed=5).astype(np.float32)
    pan = [wide[:, 4 * i : 4 * i + 160] for i in range(60)]  # 4 px a frame
    # 20 px a frame with shake: many frames change by more than the cut threshold
    fast = [np.roll(wide[:, 240 + 20 * i : 400 + 20 * i], i % 3 - 1, axis=0) for i in range(40)]
    last = fast[-1]
    b = video_frame(0, 60, (160, 120), scenes=1, seed=2).astype(np.float32)
    fade_out = [last * (1 - i / 30) for i in range(1, 31)]
    fade_in = [b * (i / 30) for i in range(1, 31)]
    dissolve = [b * (1 - i / 30) + last * (i / 30) for i in range(1, 31)]
    flash = [last] * 20 + [np.full_like(last, 255.0)] + [last] * 20
    pictures = pan + fast + fade_out + fade_in + dissolve + flash
    clip = write_clip(tmp_path / "smooth.mp4", [p.astype(np.uint8) for p in pictures])
    result = analyse_video(clip)
    assert cut_indices(result) == []
    assert [k.reason for k in result.keyframes] == ["first"]


def test_cut_into_and_out_of_motion_is_found(tmp_path: Path) -> None:
    wide = video_frame(0, 1, (1280, 120), scenes=1, seed=5)
    pan = [wide[:, 10 * i : 10 * i + 160] for i in range(45)]
    other = [video_frame(i, 45, (160, 120), scenes=1, seed=9) for i in range(45)]
    result = analyse_video(write_clip(tmp_path / "motion.mp4", pan + other + pan))
    assert [abs(i - e) <= 1 for i, e in zip(cut_indices(result), [45, 90], strict=True)] == [True, True]


def test_cut_between_scenes_of_equal_brightness_is_found(tmp_path: Path) -> None:
    luma = video_frame(0, 1, (160, 120), scenes=1, seed=7).mean(axis=2, keepdims=True) * 0.4 + 75
    grey = np.repeat(luma, 3, axis=2)
    tinted = luma + np.array([60.0, -20.0, -54.4])  # 0.299 * 60 - 0.587 * 20 - 0.114 * 54.4 = 0
    assert abs(float((tinted @ [0.299, 0.587, 0.114]).mean() - luma.mean())) < 0.5
    pictures = [grey.astype(np.uint8)] * 30 + [tinted.astype(np.uint8)] * 30
    result = analyse_video(write_clip(tmp_path / "tint.mp4", pictures))
    assert [abs(i - 30) <= 1 for i in cut_indices(result)] == [True]


def test_static_keyframes_and_min_shot(tmp_path: Path) -> None:
    still = video_frame(0, 1, (160, 120), scenes=1, seed=4)
    other = video_frame(0, 1, (160, 120), scenes=1, seed=6)
    pictures = [still] * 100 + [other] * 5 + [still] * 35  # a 5-frame shot: under min_shot
    result = analyse_video(write_clip(tmp_path / "static.mp4", pictures, fps=20), static_interval=Fraction(2))
    expected = [("first", 0), ("static", 2), ("static", 4), ("scene-cut", 5)]
    assert [(k.reason, k.pts) for k in result.keyframes] == expected
    no_minimum = analyse_video(tmp_path / "static.mp4", min_shot=Fraction(0), static_interval=Fraction(2))
    assert [(k.reason, k.pts) for k in no_minimum.keyframes] == [*expected, ("scene-cut", Fraction(21, 4))]


def test_progress_reports_rising_fractions(tmp_path: Path) -> None:
    path = make_video(tmp_path / "p.mp4", seconds=2, fps=30, size=(160, 120))
    seen: list[float] = []
    analyse_video(path, progress=seen.append)
    assert seen and seen == sorted(seen) and seen[-1] == 1.0 and all(0 <= f <= 1 for f in seen)


# ------------------------------------------------------------------ rotation


@pytest.mark.parametrize("rotate", [90, 180, 270])
def test_rotated_clip_is_upright(tmp_path: Path, rotate: int) -> None:
    frames = 30
    path = make_video(tmp_path / f"r{rotate}.mp4", seconds=1, fps=30, size=SIZE, rotate=rotate, seed=2)
    result = analyse_video(path)
    assert result.rotation == rotate
    assert (result.width, result.height) == ((240, 320) if rotate % 180 else (320, 240))
    source = video_frame(0, frames, SIZE, seed=2)
    thumb = decode_jpeg(result.keyframes[0].jpeg).astype(np.float32)
    assert thumb.shape[1] <= 320

    def error(turns: int) -> float:
        candidate = np.rot90(source, turns)
        size = thumb.shape[1::-1]
        resized = cv2.resize(np.ascontiguousarray(candidate), size, interpolation=cv2.INTER_AREA)
        return float(np.abs(resized.astype(np.float32) - thumb).mean())

    upright = -rotate // 90  # a clockwise display rotation is a negative numpy turn
    others = [error(k) for k in range(4) if (k - upright) % 4]
    assert error(upright) < 10 < min(others)
    expected_pdq, _ = pdq_from_rgb(np.ascontiguousarray(np.rot90(source, upright)))
    unrotated_pdq, _ = pdq_from_rgb(source)
    assert hamming(result.sampled[0].pdq, expected_pdq) <= 24
    assert hamming(result.sampled[0].pdq, unrotated_pdq) > 60


def test_rotate_box_matches_numpy() -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        height, width = (int(v) for v in rng.integers(5, 40, 2))
        x, y = int(rng.integers(0, width - 1)), int(rng.integers(0, height - 1))
        box = Box(x, y, int(rng.integers(1, width - x + 1)), int(rng.integers(1, height - y + 1)))
        mask = np.zeros((height, width), bool)
        mask[box.y : box.bottom, box.x : box.right] = True
        for turns in range(4):
            turned = np.rot90(mask, turns)
            rows, cols = np.flatnonzero(turned.any(axis=1)), np.flatnonzero(turned.any(axis=0))
            expected = Box(int(cols[0]), int(rows[0]), len(cols), len(rows))
            assert rotate_box(box, width, height, turns) == expected


# ------------------------------------------------------------------ borders


def bordered_pair(
    tmp_path: Path, name: str, content: tuple[int, int], pad: tuple[int, int, int, int]
) -> tuple[VideoAnalysis, VideoAnalysis]:
    """The same frames analysed plain and padded with black (`pad` = top, bottom, left, right)."""
    frames = 60
    plain = [video_frame(i, frames, content, scenes=2, seed=8) for i in range(frames)]
    boxed = [padded(p, *pad) for p in plain]
    return (
        analyse_video(write_clip(tmp_path / f"{name}-plain.mp4", plain)),
        analyse_video(write_clip(tmp_path / f"{name}-boxed.mp4", boxed)),
    )


@pytest.mark.parametrize(
    ("name", "content", "pad", "box"),
    [
        ("letterbox", (320, 180), (30, 30, 0, 0), Box(0, 30, 320, 180)),
        ("pillarbox", (240, 240), (0, 0, 40, 40), Box(40, 0, 240, 240)),
        ("windowbox", (256, 160), (24, 40, 32, 32), Box(32, 24, 256, 160)),
    ],
)
def test_black_border_found_and_removed(
    tmp_path: Path, name: str, content: tuple[int, int], pad: tuple[int, int, int, int], box: Box
) -> None:
    plain, boxed = bordered_pair(tmp_path, name, content, pad)
    assert plain.border is None
    found = boxed.border
    assert found is not None, boxed
    got = (found.x, found.y, found.right, found.bottom)
    want = (box.x, box.y, box.right, box.bottom)
    assert all(abs(g - w) <= 2 for g, w in zip(got, want, strict=True)), (found, box)
    assert [s.pts for s in boxed.sampled] == [s.pts for s in plain.sampled]
    for ours, theirs in zip(boxed.sampled, plain.sampled, strict=True):
        assert hamming(ours.pdq, theirs.pdq) <= 10
        assert ours.pdq_raw is not None and ours.quality_raw is not None
        assert hamming(ours.pdq_raw, theirs.pdq) > 30
    height, width = content[1] + pad[0] + pad[1], content[0] + pad[2] + pad[3]
    assert decode_jpeg(boxed.keyframes[0].jpeg).shape == (height, width, 3)  # thumbnails are not cropped


def test_border_in_upright_coordinates_on_a_rotated_clip(tmp_path: Path) -> None:
    frames = [padded(video_frame(i, 30, (320, 180), seed=1), 30, 30, 0, 0) for i in range(30)]
    result = analyse_video(write_clip(tmp_path / "rot-letterbox.mp4", frames, rotate=90))
    assert (result.width, result.height) == (240, 320)
    assert result.border is not None
    assert abs(result.border.x - 30) <= 2 and abs(result.border.w - 180) <= 4
    assert (result.border.y, result.border.h) == (0, 320)


def test_border_found_even_when_key_frames_are_black(tmp_path: Path) -> None:
    content = [padded(video_frame(i, 60, (320, 180), seed=3), 30, 30, 0, 0) for i in range(60)]
    pictures = [np.zeros((240, 320, 3), np.uint8)] * 10 + content  # one key frame: black
    result = analyse_video(write_clip(tmp_path / "fade-in.mp4", pictures))
    assert result.border is not None and abs(result.border.y - 30) <= 2
    assert all(s.pdq_raw is not None for s in result.sampled)


def test_a_white_flash_does_not_hide_the_border(tmp_path: Path) -> None:
    pictures = [padded(video_frame(i, 60, (320, 180), scenes=1, seed=4), 30, 30, 0, 0) for i in range(60)]
    pictures[30] = np.full((240, 320, 3), 255, np.uint8)  # sampled at 1 s, and a key frame candidate
    result = analyse_video(write_clip(tmp_path / "flash.mp4", pictures))
    assert result.border is not None and abs(result.border.y - 30) <= 2
    assert [s.flat for s in result.sampled] == [False, True]
    assert cut_indices(result) == []


def test_ten_bit_clip_hashes_like_eight_bit(tmp_path: Path) -> None:
    pictures = [padded(video_frame(i, 60, (320, 180), seed=6), 30, 30, 0, 0) for i in range(60)]
    eight = analyse_video(write_clip(tmp_path / "8.mkv", pictures))
    ten = analyse_video(write_clip(tmp_path / "10.mkv", pictures, pix_fmt="yuv420p10le"))
    assert ten.border == eight.border and ten.border is not None
    assert all(hamming(a.pdq, b.pdq) <= 8 for a, b in zip(ten.sampled, eight.sampled, strict=True))
    assert [k.index for k in ten.keyframes] == [k.index for k in eight.keyframes]


def test_border_stats_ignore_thin_bars_and_all_black() -> None:
    stats = BorderStats(200, 100)
    stats.add(np.zeros((100, 200), np.uint8))
    assert stats.box() is None  # nothing but black
    plane = np.full((100, 200), 16, np.uint8)
    plane[1:99, 30:170] = 120  # 1 px bars top and bottom (ignored), 30 px left and right
    plane[50, 5] = 255  # a speck in the bar does not count
    stats.add(plane)
    assert stats.box() == Box(30, 0, 140, 100)


# ------------------------------------------------------------------ flat frames, failures, quick


def test_black_frames_are_flat(tmp_path: Path) -> None:
    pictures = [video_frame(i, 90, (160, 120)) for i in range(90)]
    pictures[30:60] = [np.zeros((120, 160, 3), np.uint8)] * 30
    pictures[60:75] = [np.full((120, 160, 3), (200, 30, 30), np.uint8)] * 15
    result = analyse_video(write_clip(tmp_path / "black.mp4", pictures), sample_interval=Fraction(1, 2))
    flat = {float(s.pts): s.flat for s in result.sampled}
    assert flat == {0.0: False, 0.5: False, 1.0: True, 1.5: True, 2.0: True, 2.5: False}
    assert result.border is None
    black = analyse_video(write_clip(tmp_path / "allblack.mp4", [np.zeros((120, 160, 3), np.uint8)] * 20))
    assert black.border is None and all(s.flat and s.quality < 50 for s in black.sampled)


@pytest.mark.parametrize(("suffix", "faststart"), [(".mp4", True), (".mkv", False), (".mp4", False)])
def test_truncated_clip_is_partial_or_refused(tmp_path: Path, suffix: str, faststart: bool) -> None:
    whole = make_video(tmp_path / f"whole{suffix}", seconds=4, fps=30, size=(160, 120), faststart=faststart)
    cut = truncate(whole, tmp_path / f"cut{suffix}", 0.6)
    started = time.perf_counter()
    try:
        result = analyse_video(cut)
    except MediaError as exc:
        assert "\n" not in str(exc) and str(exc)
        assert not faststart and suffix == ".mp4"  # moov at the end: nothing to index
    else:
        assert 0 < result.frames_decoded < 120
        assert result.warnings and any("truncated" in w for w in result.warnings)
        assert result.sampled and result.keyframes
    assert time.perf_counter() - started < 10


def test_corrupt_packets_are_skipped_with_a_warning(tmp_path: Path) -> None:
    whole = make_video(tmp_path / "whole.mkv", seconds=3, fps=30, size=(160, 120))
    size = whole.stat().st_size
    damaged = corrupt_bytes(whole, tmp_path / "damaged.mkv", positions=range(size // 2, size // 2 + 400, 7))
    started = time.perf_counter()
    try:
        result = analyse_video(damaged)
    except MediaError as exc:
        assert "\n" not in str(exc)
    else:
        assert result.frames_decoded > 0 and result.sampled
    assert time.perf_counter() - started < 10


def test_single_threaded_maths_restores_the_thread_counts() -> None:
    import cv2

    from evidence.media.video import decode

    outside = cv2.getNumThreads()
    cv2.setNumThreads(2)
    try:
        control = decode._openblas()
        before = None if control is None else control[0]()
        with single_threaded_maths():
            assert cv2.getNumThreads() == 1
            if control is not None:
                assert control[0]() == 1
        assert cv2.getNumThreads() == 2
        if control is not None:
            assert control[0]() == before
    finally:
        cv2.setNumThreads(outside)  # as the rest of the suite found it


def test_files_without_video_are_refused(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match=r"^no video stream$"):
        analyse_video(make_audio(tmp_path / "tone.m4a", seconds=1))
    with pytest.raises(MediaError, match=r"^no video stream$"):
        analyse_video(make_audio(tmp_path / "cover.mp3", seconds=1, cover=True))
    text = tmp_path / "notes.mp4"
    text.write_text("not a video at all\n")
    with pytest.raises(MediaError, match="not a video container"):
        analyse_video(text)
    with pytest.raises(MediaError, match="cannot read"):
        analyse_video(tmp_path / "missing.mp4")
    clip = make_video(tmp_path / "clip.ts", seconds=1, size=(160, 120))
    with pytest.raises(MediaError, match="not a video container: hls"):
        analyse_video(make_hls_playlist(tmp_path / "list.m3u8", [clip]))
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    with pytest.raises(MediaError, match="not a regular file"):
        analyse_video(fifo)  # refused without blocking on the missing writer


def test_quick_mode_uses_key_frames(tmp_path: Path) -> None:
    frames = 180
    pictures = [video_frame(i, frames, SIZE, scenes=3, seed=1) for i in range(frames)]
    path = write_clip(tmp_path / "gop.mp4", pictures, gop=30)  # key frames every second
    full = analyse_video(path)
    quick = analyse_video(path, quick=True)
    assert quick.quick and not full.quick
    assert quick.frames_decoded == 6 and full.frames_decoded == frames  # speed is measured in bench/
    assert [(s.index, s.pts) for s in quick.sampled] == [(30 * k, k) for k in range(6)]
    expected = [(0, "first"), (60, "scene-cut"), (120, "scene-cut")]
    assert [(k.index, k.reason) for k in quick.keyframes] == expected
    by_time = {s.pts: s.pdq for s in full.sampled}
    assert all(hamming(s.pdq, by_time[s.pts]) <= 10 for s in quick.sampled)
