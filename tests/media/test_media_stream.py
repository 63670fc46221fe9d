"""A video's analysis leaves the worker in parts as the decode pass makes them: gathered, they are
exactly the one whole result (the frames, thumbnails, hashes, query and summary that were made from
`analyse_video`'s lists), and the worker-side stream holds nothing that grows with the video."""

from __future__ import annotations

import statistics
import tracemalloc
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from mediagen import make_image, make_video

from evidence.analysis import media_job as frames_job
from evidence.analysis.jobs import analyse_media
from evidence.analysis.options import AnalysisOptions
from evidence.analysis.worker import Worker
from evidence.core import media_parts
from evidence.core.fingerprint import PDQ_ALGORITHM, PDQ_VERSION
from evidence.core.frames import (
    MIN_QUALITY,
    DescriptorRecord,
    FrameRecord,
    HashRecord,
    MediaResult,
    QueryRecord,
)
from evidence.core.media_parts import MediaCollector, MediaPart
from evidence.core.query import QueryTable
from evidence.core.types import MediaKind
from evidence.media import sscd
from evidence.media.video import describe
from evidence.media.video.analyse import Restart, analyse_video, iter_video

LOOKUP = AnalysisOptions(lookup=True)


def _pdq(variant: str, value: bytes, quality: int | None) -> HashRecord:
    return HashRecord(variant, PDQ_ALGORITHM, PDQ_VERSION, value.hex(), quality)


def _whole(path: Path, *, quick: bool) -> tuple[list[FrameRecord], list[QueryRecord], dict[str, Any]]:
    """What the worker returned in one piece before it streamed: made from analyse_video's lists."""
    result = analyse_video(path, quick=quick, query_interval=None if quick else Fraction(1, 15))
    frames: dict[int, FrameRecord] = {}
    for s in result.sampled:
        hashes = [_pdq("canonical", s.pdq, s.quality)]
        if s.pdq_raw is not None:
            hashes.append(_pdq("raw", s.pdq_raw, s.quality_raw))
        hashes.extend(_pdq(name, value, quality) for name, value, quality in s.regions)
        frames[s.index] = FrameRecord(
            s.index, s.pts, True, quality=s.quality, flat=s.flat, hashes=tuple(hashes)
        )
    described = {
        d.index: DescriptorRecord(
            d.index, float(d.pts), d.variant, sscd.ALGORITHM, sscd.VERSION, d.vector, d.flat
        )
        for d in result.described
    }
    for index, frame in frames.items():  # a sampled frame is on the descriptor grid too
        if index in described:
            frames[index] = replace(frame, descriptors=(described[index],))
    for k in result.keyframes:
        sampled = frames.get(k.index)
        frames[k.index] = FrameRecord(
            k.index,
            k.pts,
            sampled is not None,
            keyframe=k.reason,
            cut_score=k.score,
            quality=sampled.quality if sampled else None,
            flat=sampled.flat if sampled else False,
            jpeg=k.jpeg,
            hashes=sampled.hashes if sampled else (),
            descriptors=sampled.descriptors if sampled else (),
        )
    ordered = sorted(frames.values(), key=lambda f: (f.pts, f.idx))
    if quick:
        query = [
            QueryRecord(float(s.pts), not s.flat and s.quality >= MIN_QUALITY, (("canonical", s.pdq),))
            for s in result.sampled
        ]
    else:
        query = [
            QueryRecord(
                float(q.pts),
                not q.flat and q.quality >= MIN_QUALITY,
                (
                    ("canonical", q.pdq),
                    ("mirror", q.pdq_mirror),
                    *((name, value) for name, value, quality in q.regions if quality >= MIN_QUALITY),
                ),
            )
            for q in result.query
        ]
    counts = {
        "sampled": len(result.sampled),
        "keyframes": len(result.keyframes),
        "informative": sum(1 for f in ordered if f.sampled and f.informative),
        "frames_decoded": result.frames_decoded,
        "border": None if result.border is None else result.border.x,
    }
    return ordered, query, counts


def _moving_border(path: Path) -> Path:
    """Letterboxed at its only key frame, full frame after it: the border learnt from the key frames
    is wrong, so the pass runs again (a `Restart` in the stream)."""
    rng = np.random.default_rng(1)
    full = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8).repeat(8, 0).repeat(8, 1)
    boxed = full.copy()
    boxed[:40], boxed[-40:] = 0, 0
    with av.open(str(path), "w") as container:
        options = {"preset": "ultrafast", "g": "1000", "keyint_min": "1000", "sc_threshold": "0"}
        stream = container.add_stream("libx264", rate=25, options=options)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for i in range(75):
            frame = av.VideoFrame.from_ndarray(boxed if i < 5 else np.roll(full, i, axis=1), format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, 25)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("stream")
    return {
        "scenes": make_video(folder / "scenes.mp4", seconds=5, size=(240, 180), scenes=4, seed=3),
        "moving-border": _moving_border(folder / "moving-border.mp4"),
    }


def _summary_counts(result: MediaResult) -> dict[str, Any]:
    border = result.summary["border"]
    return {
        "sampled": result.summary["sampled"],
        "keyframes": result.summary["keyframes"],
        "informative": result.summary["informative"],
        "frames_decoded": result.summary["frames_decoded"],
        "border": None if border is None else border["x"],
    }


def test_a_moving_border_restarts_the_stream(clips: dict[str, Path]) -> None:
    records = list(iter_video(clips["moving-border"], query_interval=Fraction(1, 15)))
    assert sum(isinstance(r, Restart) for r in records) == 1
    assert not any(isinstance(r, Restart) for r in iter_video(clips["scenes"]))


@pytest.mark.parametrize("name", ["scenes", "moving-border"])
@pytest.mark.parametrize("quick", [False, True], ids=["full", "quick"])
def test_parts_gathered_are_the_whole_result(
    clips: dict[str, Path], name: str, quick: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    frames, query, counts = _whole(clips[name], quick=quick)
    monkeypatch.setattr(media_parts, "PART_FRAMES", 3)  # many small parts
    monkeypatch.setattr(media_parts, "PART_QUERY", 7)
    result = frames_job.run(clips[name], MediaKind.VIDEO, AnalysisOptions(quick=quick))
    assert result.error is None and isinstance(result.query, QueryTable)
    assert result.frames == frames and list(result.query) == query and _summary_counts(result) == counts
    assert any(f.jpeg for f in result.frames)
    parts = list(frames_job.stream(clips[name], MediaKind.VIDEO, AnalysisOptions(quick=quick)))
    assert quick or len(parts) > 5


def test_the_worker_streams_the_same_result(clips: dict[str, Path], tmp_path: Path) -> None:
    image = make_image(tmp_path / "still.png", (96, 64))
    with Worker() as worker:
        for name, quick in (("scenes", False), ("moving-border", False), ("scenes", True)):
            frames, query, counts = _whole(clips[name], quick=quick)
            streamed = analyse_media(
                worker, str(clips[name]), "video", AnalysisOptions(quick=quick), timeout=60
            )
            assert streamed.frames == frames and list(streamed.query) == query
            assert _summary_counts(streamed) == counts
        still = analyse_media(worker, str(image), "image", AnalysisOptions(), timeout=60)
        assert still == frames_job.run(image, MediaKind.IMAGE, AnalysisOptions())
        assert still.summary["informative"] == 1 and len(still.query) == 1
        failed = analyse_media(worker, str(tmp_path / "missing.mp4"), "video", AnalysisOptions(), timeout=60)
        assert failed.error and not failed.frames and not failed.query


def test_a_lookup_gets_the_query_and_descriptors_of_a_full_analysis_and_nothing_to_store(
    clips: dict[str, Path],
) -> None:
    """`evidence match` analyses a file only to look it up: the same query frames, descriptors and
    border as `evidence add` would make, without the sampled frames, cuts and thumbnails it keeps."""
    with Worker() as worker:
        for name in ("scenes", "moving-border"):  # the second runs its pass twice (a `Restart`)
            full = analyse_media(worker, str(clips[name]), "video", AnalysisOptions(), timeout=60)
            lookup = analyse_media(worker, str(clips[name]), "video", LOOKUP, timeout=60)
            assert full.frames and any(f.keyframe for f in full.frames) and full.descriptors
            assert lookup.frames == [] and lookup.summary["keyframes"] == lookup.summary["sampled"] == 0
            assert list(lookup.query) == list(full.query) and lookup.descriptors == full.descriptors
            assert lookup.summary["border"] == full.summary["border"]
            assert lookup.summary["footage_region"] == full.summary["footage_region"]
        # quick mode's query is its sampled key frames: a lookup keeps them
        quick_lookup = AnalysisOptions(quick=True, lookup=True)
        quick = analyse_media(worker, str(clips["scenes"]), "video", quick_lookup, timeout=60)
        assert quick.frames and list(quick.query)


def test_the_records_do_not_depend_on_the_decoders_threads(
    clips: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One decoder thread (the default on two cores) and FFmpeg's frame threads decode the same frames,
    also where frames are skipped away from the grid points."""
    made = {}
    for threads in ("1", "0"):
        monkeypatch.setenv("EVIDENCE_DECODER_THREADS", threads)
        made[threads] = _whole(clips["scenes"], quick=False)
    assert made["1"] == made["0"] and made["1"][0]


def test_a_restart_voids_what_came_before_and_an_error_voids_everything() -> None:
    def frame(idx: int, **extra: Any) -> FrameRecord:
        return FrameRecord(idx, Fraction(idx), **({"sampled": True} | extra))

    table = QueryTable([QueryRecord(0.0, True, (("canonical", bytes(32)),))])
    collector = MediaCollector()
    collector.add(MediaPart(sampled=(frame(0), frame(1)), query=table))
    collector.add(MediaPart(restart=True))
    collector.add(MediaPart(sampled=(frame(1, quality=80),)))
    collector.add(MediaPart(keyframes=(frame(1, sampled=False, keyframe="first", jpeg=b"j"),)))
    collector.add(MediaPart(keyframes=(frame(3, sampled=False, keyframe="static", jpeg=b"k"),)))
    result = collector.result(MediaResult(summary={"sampled": 1, "informative": 0, "border": None}))
    assert result.frames == [
        frame(1, quality=80, keyframe="first", jpeg=b"j"),
        frame(3, sampled=False, keyframe="static", jpeg=b"k"),
    ]
    assert list(result.query) == [] and result.summary == {"sampled": 1, "informative": 1, "border": None}
    collector.add(MediaPart(sampled=(frame(5),), query=table))
    assert collector.result(MediaResult(error="cannot decode")) == MediaResult(error="cannot decode")


@pytest.mark.slow
def test_the_worker_side_stream_holds_nothing_that_grows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory traced while a 3-minute clip streams out in parts (each dropped once received) stays
    flat; keeping only its query hashes, compactly, would add more than the bound. The describer
    waits for its batches here (a batch on the model's thread is a passing peak of a few MB,
    bounded by `describe.IN_FLIGHT`, that would otherwise land on a sample when the machine is busy)."""
    clip = make_video(tmp_path / "long.mp4", seconds=180, fps=25, size=(64, 48), scenes=6, seed=4)
    monkeypatch.setattr(media_parts, "PART_FRAMES", 8)
    monkeypatch.setattr(media_parts, "PART_QUERY", 120)
    monkeypatch.setattr(describe, "IN_FLIGHT", 0)
    frames_job.run(clip, MediaKind.VIDEO, AnalysisOptions())  # imports and caches warm up
    traced: list[int] = []
    query_frames = 0
    tracemalloc.start()
    try:
        for part in frames_job.stream(clip, MediaKind.VIDEO, AnalysisOptions()):
            query_frames += len(part.query)
            del part
            traced.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
    assert query_frames >= 2600 and len(traced) > 20
    # What the stream holds at its end against what it held early on (medians of a quarter of the
    # parts each, after the first eighth): a passing peak on one sample (a batch, a collection
    # pending in a long test run) does not count; anything kept per part does.
    quarter = len(traced) // 4
    early = statistics.median(traced[len(traced) // 8 :][:quarter])
    late = statistics.median(traced[-quarter:])
    bound = 160_000  # bytes; 2,600 query frames are about 340,000 even in a QueryTable
    assert late - early < bound, [t // 1024 for t in traced]
