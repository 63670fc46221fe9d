"""One decode pass of `evidence.media.video.analyse` (see its notes) with a fixed crop: a generator of the
records it makes, returning the pass's frame size, border statistics and warnings."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from evidence.core.box import Box, Corners
from evidence.media.cores import decoder_threads
from evidence.media.image.regions import reduced, region_hashes
from evidence.media.pdq import pdq_and_mirror_from_luma, pdq_from_luma
from evidence.media.video.borders import BorderStats, add_border_sample, is_flat, rotate_box
from evidence.media.video.decode import (
    MediaError,
    chroma_planes,
    header_duration,
    iter_frames,
    luma_plane,
    open_video,
    quarter_turns,
    seconds,
    single_threaded_maths,
    to_uint8,
    upright,
)
from evidence.media.video.describe import DESCRIBE_INTERVAL, Describer, Geometry
from evidence.media.video.grid_decoding import FrameNumbers, GridDecoding
from evidence.media.video.keyframes import CutDetector, Decision, change, signature, thumbnail_jpeg
from evidence.media.video.read_ahead import read_ahead
from evidence.media.video.results import Keyframe, QueryFrame, SampledFrame, VideoAnalysis, VideoRecord

REGION_INTERVAL: Final = Fraction(1, 5)
"""Query frames carry region hashes at most this often (they cost two full hashes)."""

BORDER_INTERVAL: Final = Fraction(1)
"""Border statistics are gathered at least this often (seconds of video) in the main pass."""

U8 = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class PassOptions:
    sample_interval: Fraction | None
    quick: bool
    query_interval: Fraction | None
    threshold: float
    min_shot: Fraction
    static_interval: Fraction
    describe: bool = True  # copy-detection descriptors on `DESCRIBE_INTERVAL`'s grid
    lookup: bool = False  # only the records looking the video up needs (`stores_frames`)

    @property
    def stores_frames(self) -> bool:
        """Whether the pass makes the records an item keeps: sampled frames and keyframes (with the cut
        detection that chooses them). Not for a lookup (`evidence match`), which needs only the query and
        described frames and the border; quick mode's sampled frames are its query, so it always does."""
        return self.quick or not self.lookup

    @property
    def reference_only(self) -> bool:
        """Whether the decoder may skip the frames no other frame refers to away from the grid points
        (`grid_decoding.GridDecoding`): not where every frame is asked for, nor in quick mode (key
        frames only)."""
        return not self.quick and self.sample_interval is not None and self.query_interval != 0

    @property
    def grids(self) -> tuple[Fraction, ...]:
        """The grids whose points keep the first frame at or after them: sampled and described frames."""
        sampled = () if self.sample_interval is None else (self.sample_interval,)
        return sampled + ((DESCRIBE_INTERVAL,) if self.describe else ())


@dataclass(slots=True)
class PassResult:
    width: int  # stored orientation
    height: int
    quarter_turns: int
    duration: Fraction | None
    frames: int
    crop: Box | None
    stats: BorderStats
    quick: bool
    region: Box | None = None  # where the footage moves inside the upright canonical picture
    warnings: list[str] = field(default_factory=list)
    outline: Corners | None = None  # a filmed screen's picture placing `region` (same pixels)

    def analysis(self) -> VideoAnalysis:
        """The analysis without its records (they were yielded)."""
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
            sampled=[],
            keyframes=[],
            quick=self.quick,
            warnings=self.warnings,
            region=self.region,
            outline=self.outline,
        )


class DecodePass:
    """One decode pass with a fixed crop (stored coordinates)."""

    def __init__(
        self, options: PassOptions, crop: Box | None, progress: Callable[[float], None] | None
    ) -> None:
        self.options, self.crop, self.progress = options, crop, progress
        self.detector: CutDetector[Any] = CutDetector(options.threshold, options.min_shot)
        self.warnings: list[str] = []
        self.made: list[VideoRecord] = []  # records not yet yielded: at most a frame's worth
        self.turns = 0
        self.last_key: Fraction | None = None
        self.last_cut: Fraction | None = None
        self.previous_sig: npt.NDArray[np.float32] | None = None
        self.describer: Describer | None = None

    def run(self, path: Path) -> Generator[VideoRecord, None, PassResult]:
        with single_threaded_maths(), open_video(path) as (container, stream):
            return (yield from self._decode(container, stream))

    def _made(self) -> Iterator[VideoRecord]:
        made, self.made = self.made, []
        return iter(made)

    def _decode(self, container: Any, stream: Any) -> Generator[VideoRecord, None, PassResult]:
        options = self.options
        context = stream.codec_context
        context.thread_type = "AUTO"
        if options.quick:
            context.skip_frame = "NONKEY"  # a light loop: frame threads decode key frames side by side
        else:
            context.thread_count = decoder_threads()
        duration = header_duration(container, stream)
        start = seconds(stream.start_time, stream.time_base)
        rate = Fraction(stream.average_rate or stream.guessed_rate or 0)
        ordinals: dict[int, int] | None = {} if options.quick else None
        stats: BorderStats | None = None
        size = (0, 0)
        count, t, end = 0, Fraction(0), Fraction(0)
        next_sample, next_border, next_query, reported = Fraction(0), Fraction(0), Fraction(0), 0.0
        next_region, next_describe = Fraction(0), Fraction(0)
        select = _is_key_packet if options.quick else None
        grid = GridDecoding(stream, options.grids) if options.reference_only else None
        numbers = FrameNumbers() if grid is not None else None
        decoded = iter_frames(
            container, stream, self.warnings, select=select, ordinals=ordinals, numbers=numbers, before=grid
        )
        with read_ahead(decoded) as frames:
            for frame in frames:
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
                if ordinals is not None:
                    index = self._ordinal(ordinals, frame, t, rate)
                else:
                    index = count if numbers is None else numbers.number(frame, count)
                luma, shift = luma_plane(frame)
                sig = signature(luma, shift, chroma_planes(frame)) if options.stores_frames else None
                if options.quick or options.sample_interval is None or t >= next_sample:
                    add_border_sample(stats, luma, shift)
                    if options.stores_frames:
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
                if options.describe and (options.quick or t >= next_describe):
                    self._describe(index, t, frame)
                    next_describe = (t // DESCRIBE_INTERVAL + 1) * DESCRIBE_INTERVAL
                if sig is None:
                    pass
                elif options.quick:
                    self._quick_candidate(index, t, sig, frame)
                else:
                    decided = self.detector.push(index, t, sig, frame)
                    if decided is not None:
                        self._keyframe(decided)
                count += 1
                if self.progress is not None and duration and float(t / duration) >= reported + 0.01:
                    reported = min(1.0, float(t / duration))
                    self.progress(reported)
                yield from self._made()
        for decided in self.detector.finish():
            self._keyframe(decided)
        if self.describer is not None:
            self.made.extend(self.describer.flush())
        yield from self._made()
        if stats is None:
            first = "; ".join(self.warnings)
            raise MediaError(f"cannot decode: no frame could be decoded{': ' + first if first else ''}")
        self._check_length(duration, end, stream)
        placed = None if self.describer is None else self.describer.placement()
        return PassResult(
            size[0],
            size[1],
            self.turns,
            duration or end,
            count,
            self.crop,
            stats,
            options.quick,
            placed[0] if placed is not None else None,
            self.warnings,
            placed[1] if placed is not None else None,
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

    def _describe(self, index: int, t: Fraction, frame: Any) -> None:
        if self.describer is None:
            geometry = Geometry(frame.width, frame.height, self.crop, self.turns)
            self.describer = Describer(geometry, track_motion=not self.options.quick)
        self.made.extend(self.describer.add(index, t, frame))

    def _sample(self, index: int, t: Fraction, luma: U8) -> None:
        canonical = luma if self.crop is None else self.crop.crop(luma)
        turned = upright(canonical, self.turns)
        pdq, quality = pdq_from_luma(turned)
        raw = None if self.crop is None else pdq_from_luma(upright(luma, self.turns))
        self.made.append(
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
        self.made.append(QueryFrame(index, t, pdq, mirror, quality, is_flat(small), regions))

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
        self.made.append(Keyframe(decided.index, decided.pts, reason, round(score, 3), jpeg))

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
