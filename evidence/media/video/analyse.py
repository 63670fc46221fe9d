"""Video analysis: one decode pass yields sampled frames with PDQ hashes, keyframes and the black border.

How `analyse_video` works (pure library: no prints, no database):

1. A cheap pre-scan (`borders.prescan`: at most `PRESCAN_FRAMES` key frames, `skip_frame="NONKEY"`)
   learns the black-border box before the main pass, so canonical hashes are made in that pass.
2. The main pass decodes the frames near its grid points and, between them, only the frames other
   frames are decoded from (`grid_decoding.GridDecoding`: about 60 % of a typical H.264 file's, and the
   sampled and described frames are those a full decode gives; every frame where every frame is
   asked for: `sample_interval=None` or dense query frames), numbered as a full decode numbers them
   (`grid_decoding.FrameNumbers`), on the cores the hashing loop and the model leave
   (`cores.decoder_threads`: one thread on two cores), and works on each frame's Y plane as a numpy
   view; only the few frames that
   become thumbnails are converted to RGB. Per decoded frame: a tiny signature for cut detection
   (`keyframes`, which judges motion per frame of the stream). A lookup (`lookup=True`, what
   `evidence match` asks for) makes no signatures, sampled frames or keyframes, only the query and
   described frames and the border statistics. On a steady time grid by pts (every
   `sample_interval` seconds, the first frame at or after each grid time; every frame when it is
   None): PDQ of the
   upright luma with the border removed (canonical), and of the whole frame when a border was removed.
   Border statistics come from those frames and at least once a second. numpy's OpenBLAS and OpenCV are
   held to one thread each meanwhile (`decode.single_threaded_maths`: FFmpeg's threads need the cores).
3. The border is confirmed from the pre-scan and main-pass statistics together. Key frames can only
   overstate a border (fewer frames, fewer bright pixels), so the box rarely moves; when it moves by
   more than 2 px (0.5 %) the main pass runs again with the confirmed box (twice the time, but hashes
   always match the reported border).
4. Copy-detection descriptors (`describe`, SSCD) of the canonical picture on a half-second grid, made
   in the main pass from RGB converted straight at the model's input size; where the footage moves
   only inside part of the picture (a programme frame, a filmed screen), a descriptor-only pass over
   the same frames describes that region (`DescribedFrame` records with variant "region", after the
   main pass's).

Quick mode decodes key frames only (`skip_frame="NONKEY"`, on FFmpeg's own frame threads): every
decoded key frame is hashed, and is a keyframe when it is the first, differs from the previous key frame
by the scene threshold ("scene-cut") or comes `static_interval` after the last keyframe ("static"). Its
`index` is its packet's number in decode order, which is its presentation index for closed GOPs (else
estimated from pts and frame rate).

`iter_video` is the same analysis as a stream: every record is yielded as soon as the pass has made it
(a keyframe once the cut detector has seen past it), so nothing that grows with the video's length is
kept; a `Restart` record says the pass runs again and everything before it is void.

Times are exact: `pts * time_base` minus the stream's start time, so variable-frame-rate clips are
sampled by real time. Rotation comes from the display matrix (`VideoFrame.rotation`, counter-clockwise
degrees as FFmpeg reports them); planes are turned with OpenCV so hashes and thumbnails are upright.
A frame is flat (never match evidence) when the 1st and 99th luma percentiles of its canonical
picture, area-averaged to 64 x 64, lie within `FLAT_SPREAD`; low detail shows in `quality` instead.
The sample aspect ratio is not applied: sizes and thumbnails are in stored pixels, turned upright."""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

from evidence.core.box import Box
from evidence.media.video.borders import FLAT_SPREAD, close_boxes, is_flat, prescan
from evidence.media.video.decode import MediaError
from evidence.media.video.describe import Geometry, describe_region
from evidence.media.video.keyframes import DEFAULT_MIN_SHOT, DEFAULT_SCENE_THRESHOLD
from evidence.media.video.results import (
    DescribedFrame,
    Keyframe,
    QueryFrame,
    Restart,
    SampledFrame,
    VideoAnalysis,
    VideoRecord,
)
from evidence.media.video.single_pass import DecodePass, PassOptions

__all__ = [
    "DEFAULT_MIN_SHOT",
    "DEFAULT_SCENE_THRESHOLD",
    "FLAT_SPREAD",
    "Box",
    "DescribedFrame",
    "Keyframe",
    "MediaError",
    "QueryFrame",
    "Restart",
    "SampledFrame",
    "VideoAnalysis",
    "VideoRecord",
    "analyse_video",
    "is_flat",
    "iter_video",
]

log = logging.getLogger(__name__)


def analyse_video(
    path: Path,
    *,
    sample_interval: Fraction | None = Fraction(1),
    quick: bool = False,
    scene_threshold: float = DEFAULT_SCENE_THRESHOLD,
    min_shot: Fraction = DEFAULT_MIN_SHOT,
    static_interval: Fraction = Fraction(10),
    progress: Callable[[float], None] | None = None,
    query_interval: Fraction | None = None,
    describe: bool = True,
    lookup: bool = False,
) -> VideoAnalysis:
    """Analyse the video at `path` (see the module notes). Raises `MediaError` if it cannot be analysed.

    `sample_interval=None` hashes every decoded frame. `quick` decodes key frames only: each is hashed
    and is a keyframe candidate. `progress` receives fractions 0..1 as the main pass advances.
    `query_interval` also yields `query` frames on a denser grid (`Fraction(0)`: every frame) with their
    mirrored hashes, for looking the video up; they cost one PDQ each and are not meant to be stored.
    `lookup` makes only what looking the video up needs: query and described frames, no sampled frames
    or keyframes (ignored in quick mode, whose sampled frames are its query).
    """
    options = _options(
        sample_interval, quick, query_interval, scene_threshold, min_shot, static_interval, describe, lookup
    )
    records = _analyse(Path(path), options, progress)
    sampled: list[SampledFrame] = []
    keyframes: list[Keyframe] = []
    query: list[QueryFrame] = []
    described: dict[int, DescribedFrame] = {}  # a region's descriptor replaces the whole picture's
    while True:
        try:
            record = next(records)
        except StopIteration as done:
            result: VideoAnalysis = done.value
            ordered = sorted(described.values(), key=lambda d: d.index)
            return replace(result, sampled=sampled, keyframes=keyframes, query=query, described=ordered)
        if isinstance(record, Restart):
            sampled, keyframes, query, described = [], [], [], {}
        elif isinstance(record, DescribedFrame):
            described[record.index] = record
        elif isinstance(record, SampledFrame):
            sampled.append(record)
        elif isinstance(record, Keyframe):
            keyframes.append(record)
        else:
            query.append(record)


def iter_video(
    path: Path,
    *,
    sample_interval: Fraction | None = Fraction(1),
    quick: bool = False,
    scene_threshold: float = DEFAULT_SCENE_THRESHOLD,
    min_shot: Fraction = DEFAULT_MIN_SHOT,
    static_interval: Fraction = Fraction(10),
    progress: Callable[[float], None] | None = None,
    query_interval: Fraction | None = None,
    describe: bool = True,
    lookup: bool = False,
) -> Generator[VideoRecord, None, VideoAnalysis]:
    """`analyse_video` as a stream (same arguments): yields the sampled frames, keyframes and query
    frames as they are made, each kind in the order `analyse_video` lists it, and `Restart` when the
    pass runs again; returns the analysis with empty lists. Arguments are checked at once; `MediaError`
    comes from the iteration."""
    options = _options(
        sample_interval, quick, query_interval, scene_threshold, min_shot, static_interval, describe, lookup
    )
    return _analyse(Path(path), options, progress)


def _options(
    sample_interval: Fraction | None,
    quick: bool,
    query_interval: Fraction | None,
    scene_threshold: float,
    min_shot: Fraction,
    static_interval: Fraction,
    describe: bool,
    lookup: bool,
) -> PassOptions:
    if sample_interval is not None and sample_interval <= 0:
        raise ValueError("sample_interval must be positive or None")
    if min_shot < 0 or static_interval <= 0:
        raise ValueError("min_shot must be >= 0 and static_interval > 0")
    return PassOptions(
        None if sample_interval is None else Fraction(sample_interval),
        quick,
        None if query_interval is None else Fraction(query_interval),
        float(scene_threshold),
        Fraction(min_shot),
        Fraction(static_interval),
        describe,
        lookup,
    )


def _analyse(
    path: Path, options: PassOptions, progress: Callable[[float], None] | None
) -> Generator[VideoRecord, None, VideoAnalysis]:
    # quick mode sees every key frame in its own pass: it learns the border there and hashes again
    # only when there is one; the full pass learns it first from a key-frame pre-scan
    stats = None if options.quick else prescan(path)
    crop = stats.box() if stats is not None else None
    result = yield from DecodePass(options, crop, progress).run(path)
    if stats is not None and stats.frames and (stats.width, stats.height) == (result.width, result.height):
        result.stats.merge(stats)
    confirmed = result.stats.box()
    if not close_boxes(confirmed, crop, result.width, result.height):
        log.info("border moved from %s to %s after the main pass; hashing again", crop, confirmed)
        yield Restart(f"border moved from {crop} to {confirmed}")
        result = yield from DecodePass(options, confirmed, None).run(path)
    if result.region is not None and options.describe:
        log.info("footage moves only inside %s: describing that region", result.region)
        crop = None if result.crop is None else result.crop
        geometry = Geometry(
            result.width, result.height, crop, result.quarter_turns, result.region, result.outline
        )
        grids = options.grids if options.reference_only else None
        yield from describe_region(path, geometry, grids=grids)
    if progress is not None:
        progress(1.0)
    return result.analysis()
