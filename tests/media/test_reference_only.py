"""The analysis decodes only the frames other frames refer to away from its grid points
(`grid_decoding.GridDecoding`): what it keeps for matching must be what a full decode gives, its frames must
carry a full decode's numbers, and the cuts must still be found."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from footage import generated_photo, inside_programme, pan_frames, write_clip

from evidence.media.video.analyse import VideoAnalysis, analyse_video
from evidence.media.video.keyframes import CutDetector

SIZE = (320, 240)
FPS = 30


def full_decode_times(path: Path) -> list[Fraction]:
    """Every frame's time, in presentation order, as a plain decode of every frame gives them."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [Fraction(f.pts) * f.time_base for f in container.decode(stream)]


def texture(seed: int) -> np.ndarray:
    """A landscape of blobs three frames wide: panning over it changes every pixel."""
    noise = np.random.default_rng(seed).normal(0, 1, (SIZE[1], SIZE[0] * 3, 3)).astype(np.float32)
    blobs = cv2.GaussianBlur(noise, (0, 0), 6)
    return np.clip(128 + blobs * (60 / blobs.std()), 0, 255).astype(np.uint8)


def panning_scenes(scenes: int, seconds: float, step: int) -> list[np.ndarray]:
    """`scenes` shots of `seconds` each, each a pan of `step` pixels a frame over its own texture."""
    frames = []
    for scene in range(scenes):
        land = texture(scene)
        for i in range(round(seconds * FPS)):
            x = i * step
            frames.append(np.ascontiguousarray(land[:, x : x + SIZE[0]]))
    return frames


def stored(result: VideoAnalysis) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """What a catalogue keeps of an analysis for matching: sampled frames and descriptors."""
    return (
        [(s.index, s.pts, s.pdq, s.regions) for s in result.sampled],
        [(d.index, d.pts, d.variant, d.vector) for d in result.described],
    )


def test_frames_others_refer_to_are_decoded_and_the_grids_keep_a_full_decode_frames(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "pan.mp4", pan_frames(generated_photo(0), 4.0, FPS, SIZE, seed=3), fps=FPS)
    times = full_decode_times(clip)
    result = analyse_video(clip, query_interval=Fraction(1, 15))
    every_frame = analyse_video(clip, query_interval=Fraction(0))  # dense: every frame is decoded

    assert every_frame.frames_decoded == len(times)
    assert result.frames_decoded < 0.7 * len(times), "B-frames away from the grid points are not decoded"
    # the sampled frames (a second apart) and the described ones (half a second) are the very frames,
    # hashes and descriptors a full decode gives
    assert stored(result) == stored(every_frame)
    assert [s.pts for s in result.sampled] == [0, 1, 2, 3]
    for record in [*result.sampled, *result.keyframes, *result.described, *result.query]:
        assert times[record.index] == record.pts, "a frame is named by its number in a full decode"
    assert len(result.query) >= 55  # 15 a second from 4 s, where about half the frames are decoded


def test_every_frame_is_decoded_where_every_frame_is_asked_for(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "pan.mp4", pan_frames(generated_photo(1), 2.0, FPS, SIZE, seed=4), fps=FPS)
    count = len(full_decode_times(clip))
    every_sampled = analyse_video(clip, sample_interval=None, describe=False)
    dense_query = analyse_video(clip, query_interval=Fraction(0), describe=False)
    assert every_sampled.frames_decoded == count and len(every_sampled.sampled) == count
    assert dense_query.frames_decoded == count and len(dense_query.query) == count
    assert [s.index for s in every_sampled.sampled] == list(range(count))


def test_a_footage_region_is_described_at_the_main_pass_frames(tmp_path: Path) -> None:
    """The region's pass decodes the same frames and numbers them alike: each of its descriptors
    replaces the whole picture's at that frame, none of which is left beside them."""
    frames = pan_frames(generated_photo(2), 4.0, FPS, (640, 360), seed=5)
    clip = write_clip(tmp_path / "pip.mp4", (inside_programme(0.4, 0.55, 0.3)(f) for f in frames), fps=FPS)
    times = full_decode_times(clip)
    result = analyse_video(clip)
    assert result.region is not None
    assert result.frames_decoded < 0.9 * len(times)
    assert len(result.described) == 8
    assert {d.variant for d in result.described} == {"region"}
    assert stored(result) == stored(analyse_video(clip, query_interval=Fraction(0)))


def test_cuts_between_pans_are_found_when_half_the_frames_are_skipped(tmp_path: Path) -> None:
    """A fast pan changes each decoded frame twice as much when every other frame is skipped; a cut
    changes it as much as ever: changes are compared per frame of the stream."""
    clip = write_clip(tmp_path / "scenes.mp4", panning_scenes(3, 1.5, 3), fps=FPS)
    result = analyse_video(clip, describe=False)
    assert result.frames_decoded < 0.8 * len(full_decode_times(clip))
    cuts = [k.pts for k in result.keyframes if k.reason == "scene-cut"]
    assert len(cuts) == 2
    for cut, start in zip(cuts, (Fraction(3, 2), Fraction(3)), strict=True):
        assert start <= cut < start + Fraction(3, FPS)


def signature(value: float) -> np.ndarray:
    return np.array([value], dtype=np.float32)


def test_the_cut_detector_judges_motion_per_frame_of_the_stream() -> None:
    """Decoded frames two apart whose content moves 10 a frame (change 20 each), then a frame right
    after the one before it that changes 40 (a cut: twice a neighbour's change, four times their
    motion per frame) and, later, one two apart that changes 50 (fast motion: 2.5 times)."""
    detector: CutDetector[int] = CutDetector(threshold=20.0, min_shot=Fraction(0))
    decided = []
    index, value = 0, 0.0
    steps = [(2, 20.0)] * 8 + [(1, 40.0)] + [(2, 20.0)] * 8 + [(2, 50.0)] + [(2, 20.0)] * 8
    decided.append(detector.push(index, Fraction(index, FPS), signature(value), index))
    for gap, moved in steps:
        index, value = index + gap, value + moved
        decided.append(detector.push(index, Fraction(index, FPS), signature(value), index))
    decided.extend(detector.finish())
    cuts = [d.index for d in decided if d is not None and d.cut]
    assert cuts == [17]
