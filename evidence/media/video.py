"""Video analysis: one decode pass yields sampled frames with PDQ hashes, keyframes and the black border.

How `analyse_video` works (pure library: no prints, no database):

1. A cheap pre-scan (`borders.prescan`: at most `PRESCAN_FRAMES` key frames, `skip_frame="NONKEY"`)
   learns the black-border box before the main pass, so canonical hashes are made in that pass.
2. The main pass decodes every frame (`thread_type="AUTO"`) and works on each frame's Y plane as a
   numpy view; only the few frames that become thumbnails are converted to RGB. Per frame: a tiny
   signature for cut detection (`keyframes`). On a steady time grid by pts (every `sample_interval`
   seconds, the first frame at or after each grid time; every frame when it is None): PDQ of the
   upright luma with the border removed (canonical), and of the whole frame when a border was removed.
   Border statistics come from those frames and at least once a second. numpy's OpenBLAS is held to
   one thread meanwhile (`decode.single_threaded_blas`: its spinning threads halved decode speed).
3. The border is confirmed from the pre-scan and main-pass statistics together. Key frames can only
   overstate a border (fewer frames, fewer bright pixels), so the box rarely moves; when it moves by
   more than 2 px (0.5 %) the main pass runs again with the confirmed box (twice the time, but hashes
   always match the reported border).

Quick mode decodes key frames only (`skip_frame="NONKEY"`): every decoded key frame is hashed, and is
a keyframe when it is the first, differs from the previous key frame by the scene threshold ("scene-cut")
or comes `static_interval` after the last keyframe ("static"). Its `index` is its packet's number in
decode order, which is its presentation index for closed GOPs (else estimated from pts and frame rate).

Times are exact: `pts * time_base` minus the stream's start time, so variable-frame-rate clips are
sampled by real time. Rotation comes from the display matrix (`VideoFrame.rotation`, counter-clockwise
degrees as FFmpeg reports them); planes are turned with OpenCV so hashes and thumbnails are upright.
A frame is flat (never match evidence) when the 1st and 99th luma percentiles of its canonical
picture, area-averaged to 64 x 64, lie within `FLAT_SPREAD`; low detail shows in `quality` instead.
The sample aspect ratio is not applied: sizes and thumbnails are in stored pixels, turned upright."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from evidence.media.borders import (
    FLAT_SPREAD,
    BorderStats,
    add_border_sample,
    close_boxes,
    is_flat,
    prescan,
    rotate_box,
)
from evidence.media.decode import (
    MediaError,
    chroma_planes,
    header_duration,
    iter_frames,
    luma_plane,
    open_video,
    quarter_turns,
    seconds,
    single_threaded_blas,
    to_uint8,
    upright,
)
from evidence.media.geometry import Box
from evidence.media.keyframes import (
    DEFAULT_MIN_SHOT,
    DEFAULT_SCENE_THRESHOLD,
    CutDetector,
    Decision,
    change,
    signature,
    thumbnail_jpeg,
)
from evidence.media.pdq import pdq_and_mirror_from_luma, pdq_from_luma
from evidence.media.regions import reduced, region_hashes
from evidence.media.video_results import Keyframe, QueryFrame, SampledFrame, VideoAnalysis

__all__ = [
    "DEFAULT_MIN_SHOT",
    "DEFAULT_SCENE_THRESHOLD",
    "FLAT_SPREAD",
    "Box",
    "Keyframe",
    "MediaError",
    "QueryFrame",
    "SampledFrame",
    "VideoAnalysis",
    "analyse_video",
    "is_flat",
]

log = logging.getLogger(__name__)

REGION_INTERVAL: Final = Fraction(1, 5)
"""Query frames carry region hashes at most this often (they cost two full hashes)."""

BORDER_INTERVAL: Final = Fraction(1)
"""Border statistics are gathered at least this often (seconds of video) in the main pass."""

U8 = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class _Options:
    sample_interval: Fraction | None
    quick: bool
    query_interval: Fraction | None
    threshold: float
    min_shot: Fraction
    static_interval: Fraction


def analyse_video(
    path: Path,
    *,
    sample_interval: Fraction | None = Fraction(1),
    quick: bool = False,
    scene_threshold: float = DEFAULT_SCENE_THRESHOLD,
    min_shot: Fraction = DEFAULT_MIN_SHOT,
    static_interval: Fraction = Fraction(30),
    progress: Callable[[float], None] | None = None,
    query_interval: Fraction | None = None,
) -> VideoAnalysis:
    """Analyse the video at `path` (see the module notes). Raises `MediaError` if it cannot be analysed.

    `sample_interval=None` hashes every decoded frame. `quick` decodes key frames only: each is hashed
    and is a keyframe candidate. `progress` receives fractions 0..1 as the main pass advances.
    `query_interval` also yields `query` frames on a denser grid (`Fraction(0)`: every frame) with their
    mirrored hashes, for looking the video up; they cost one PDQ each and are not meant to be stored.
    """
    if sample_interval is not None and sample_interval <= 0:
        raise ValueError("sample_interval must be positive or None")
    if min_shot < 0 or static_interval <= 0:
        raise ValueError("min_shot must be >= 0 and static_interval > 0")
    path = Path(path)
    options = _Options(
        None if sample_interval is None else Fraction(sample_interval),
        quick,
        None if query_interval is None else Fraction(query_interval),
        float(scene_threshold),
        Fraction(min_shot),
        Fraction(static_interval),
    )
    # quick mode sees every key frame in its own pass: it learns the border there and hashes again
    # only when there is one; the full pass learns it first from a key-frame pre-scan
    stats = None if quick else prescan(path)
    crop = stats.box() if stats is not None else None
    result = _Pass(options, crop, progress).run(path)
    if stats is not None and stats.frames and (stats.width, stats.height) == (result.width, result.height):
        result.stats.merge(stats)
    confirmed = result.stats.box()
    if not close_boxes(confirmed, crop, result.width, result.height):
        log.info("border moved from %s to %s after the main pass; hashing again", crop, confirmed)
        result = _Pass(options, confirmed, None).run(path)
    if progress is not None:
        progress(1.0)
    return result.analysis()


@dataclass(slots=True)
class _Result:
    width: int  # stored orientation
    height: int
    quarter_turns: int
    duration: Fraction | None
    frames: int
    crop: Box | None
    stats: BorderStats
    sampled: list[SampledFrame]
    keyframes: list[Keyframe]
    quick: bool
    warnings: list[str] = field(default_factory=list)
    query: list[QueryFrame] = field(default_factory=list)

    def analysis(self) -> VideoAnalysis:
        turned = self.quarter_turns % 2 == 1
        return VideoAnalysis(
            width=self.height if turned else self.width,
            height=self.width if turned else self.height,
            rotation=(-self.quarter_turns % 4) * 90,
            duration=self.duration,
            frames_decoded=self.frames,
            border=None
            if self.crop is None
            else rotate_box(self.crop, self.width, self.height, self.quarter_turns),
            sampled=self.sampled,
            keyframes=self.keyframes,
            quick=self.quick,
            warnings=self.warnings,
            query=self.query,
        )


class _Pass:
    """One decode pass with a fixed crop (stored coordinates)."""

    def __init__(self, options: _Options, crop: Box | None, progress: Callable[[float], None] | None) -> None:
        self.options, self.crop, self.progress = options, crop, progress
        self.detector: CutDetector[Any] = CutDetector(options.threshold, options.min_shot)
        self.warnings: list[str] = []
        self.sampled: list[SampledFrame] = []
        self.keyframes: list[Keyframe] = []
        self.query: list[QueryFrame] = []
        self.turns = 0
        self.last_key: Fraction | None = None
        self.last_cut: Fraction | None = None
        self.previous_sig: npt.NDArray[np.float32] | None = None

    def run(self, path: Path) -> _Result:
        with single_threaded_blas(), open_video(path) as (container, stream):
            return self._decode(container, stream)

    def _decode(self, container: Any, stream: Any) -> _Result:
        options = self.options
        context = stream.codec_context
        context.thread_type = "AUTO"
        if options.quick:
            context.skip_frame = "NONKEY"
        duration = header_duration(container, stream)
        start = seconds(stream.start_time, stream.time_base)
        rate = Fraction(stream.average_rate or stream.guessed_rate or 0)
        ordinals: dict[int, int] | None = {} if options.quick else None
        stats: BorderStats | None = None
        size = (0, 0)
        count, t, end = 0, Fraction(0), Fraction(0)
        next_sample, next_border, next_query, reported = Fraction(0), Fraction(0), Fraction(0), 0.0
        next_region = Fraction(0)
        select = _is_key_packet if options.quick else None
        for frame in iter_frames(container, stream, self.warnings, select=select, ordinals=ordinals):
            if stats is None:
                size = (frame.width, frame.height)
                stats = BorderStats(*size)
                self.turns = quarter_turns(frame.rotation, self.warnings)
                if start is None and frame.pts is not None:
                    start = seconds(frame.pts, frame.time_base or stream.time_base)
            elif (frame.width, frame.height) != size:
                if not any(w.startswith("frame size changed") for w in self.warnings):
                    self.warnings.append(f"frame size changed mid-stream to {frame.width}x{frame.height}")
                frame = frame.reformat(*size)
            t = self._time(frame, stream, start or Fraction(0), t, rate, count)
            end = t + (seconds(frame.duration, frame.time_base) or (1 / rate if rate else Fraction(0)))
            index = count if ordinals is None else self._ordinal(ordinals, frame, t, rate)
            luma, shift = luma_plane(frame)
            sig = signature(luma, shift, chroma_planes(frame))
            if options.quick or options.sample_interval is None or t >= next_sample:
                add_border_sample(stats, luma, shift)
                self._sample(index, t, to_uint8(luma, shift))
                if options.sample_interval is not None:
                    next_sample = (t // options.sample_interval + 1) * options.sample_interval
            elif t >= next_border:
                add_border_sample(stats, luma, shift)
                next_border = (t // BORDER_INTERVAL + 1) * BORDER_INTERVAL
            if options.query_interval is not None and t >= next_query:
                with_regions = t >= next_region
                if with_regions:
                    next_region = (t // REGION_INTERVAL + 1) * REGION_INTERVAL
                self._query(index, t, to_uint8(luma, shift), with_regions)
                if options.query_interval:
                    next_query = (t // options.query_interval + 1) * options.query_interval
            if options.quick:
                self._quick_candidate(index, t, sig, frame)
            else:
                decided = self.detector.push(index, t, sig, frame)
                if decided is not None:
                    self._keyframe(decided)
            count += 1
            if self.progress is not None and duration and float(t / duration) >= reported + 0.01:
                reported = min(1.0, float(t / duration))
                self.progress(reported)
        for decided in self.detector.finish():
            self._keyframe(decided)
        if stats is None:
            first = "; ".join(self.warnings)
            raise MediaError(f"cannot decode: no frame could be decoded{': ' + first if first else ''}")
        self._check_length(duration, end, stream)
        return _Result(
            size[0],
            size[1],
            self.turns,
            duration or end,
            count,
            self.crop,
            stats,
            self.sampled,
            self.keyframes,
            options.quick,
            self.warnings,
            self.query,
        )

    def _time(
        self, frame: Any, stream: Any, start: Fraction, last: Fraction, rate: Fraction, count: int
    ) -> Fraction:
        when = seconds(frame.pts, frame.time_base or stream.time_base)
        if when is not None:
            return when - start
        if not any(w.startswith("frames without timestamps") for w in self.warnings):
            self.warnings.append("frames without timestamps: their times are estimated from the frame rate")
        return last + (1 / rate if rate and count else Fraction(0))

    @staticmethod
    def _ordinal(ordinals: dict[int, int], frame: Any, t: Fraction, rate: Fraction) -> int:
        """Quick mode: a key frame's index is its packet's decode-order number (exact for closed GOPs)."""
        found = ordinals.pop(frame.pts, None) if frame.pts is not None else None
        if found is not None:
            return found
        return round(t * rate) if rate else 0

    def _sample(self, index: int, t: Fraction, luma: U8) -> None:
        canonical = luma if self.crop is None else self.crop.crop(luma)
        turned = upright(canonical, self.turns)
        pdq, quality = pdq_from_luma(turned)
        raw = None if self.crop is None else pdq_from_luma(upright(luma, self.turns))
        self.sampled.append(
            SampledFrame(
                index=index,
                pts=t,
                pdq=pdq,
                quality=quality,
                pdq_raw=None if raw is None else raw[0],
                quality_raw=None if raw is None else raw[1],
                flat=is_flat(canonical),
                regions=() if self.options.quick else region_hashes(reduced(turned)),
            )
        )

    def _query(self, index: int, t: Fraction, luma: U8, with_regions: bool) -> None:
        # query hashes are looked up, never stored or exchanged: a reduced picture is close enough
        # (a few bits from the full-size hash) and several times cheaper
        small = reduced(upright(luma if self.crop is None else self.crop.crop(luma), self.turns))
        pdq, mirror, quality = pdq_and_mirror_from_luma(small)
        regions = region_hashes(small) if with_regions else ()
        self.query.append(QueryFrame(index, t, pdq, mirror, quality, is_flat(small), regions))

    def _quick_candidate(self, index: int, t: Fraction, sig: npt.NDArray[np.float32], frame: Any) -> None:
        score = 0.0 if self.previous_sig is None else change(sig, self.previous_sig)
        cut = (
            self.previous_sig is not None
            and score >= self.options.threshold
            and (self.last_cut is None or t - self.last_cut >= self.options.min_shot)
        )
        if self.last_cut is None or cut:
            self.last_cut = t
        self.previous_sig = sig
        self._keyframe(Decision(index, t, score, cut, frame))

    def _keyframe(self, decided: Decision[Any]) -> None:
        if self.last_key is None:
            reason, score = "first", 0.0
        elif decided.cut:
            reason, score = "scene-cut", decided.score
        elif decided.pts - self.last_key >= self.options.static_interval:
            reason, score = "static", 0.0
        else:
            return
        self.last_key = decided.pts
        jpeg = thumbnail_jpeg(decided.payload, self.turns)
        self.keyframes.append(Keyframe(decided.index, decided.pts, reason, round(score, 3), jpeg))

    def _check_length(self, duration: Fraction | None, end: Fraction, stream: Any) -> None:
        if not duration:
            return
        from_stream = bool(stream.duration)
        slack = max(Fraction(1, 4), duration / 50) if from_stream else max(Fraction(1), duration / 20)
        if end < duration - slack:
            self.warnings.append(
                f"decoded {float(end):.3f} s of {float(duration):.3f} s: the file may be truncated"
            )


def _is_key_packet(packet: Any) -> bool:
    """Quick mode: only key packets reach the decoder at all (skip_frame alone still parses the rest)."""
    return bool(packet.is_keyframe)
