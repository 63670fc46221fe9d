"""Runs inside the analysis worker: turn a video's one decode pass, or an image's analysis, into
frame records (times, keyframe thumbnails, PDQ fingerprints), query records and a summary.

`stream` sends them in parts as the pass makes them (`core.media_parts`), so the worker's memory does
not grow with the video's length; `run` gathers the same parts into one `MediaResult`."""

from __future__ import annotations

from collections.abc import Generator
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidence.analysis.options import AnalysisOptions
from evidence.core.fingerprint import PDQ_ALGORITHM, PDQ_VERSION
from evidence.core.frames import (
    MIN_QUALITY,
    DescriptorRecord,
    FrameRecord,
    HashRecord,
    MediaResult,
    QueryRecord,
)
from evidence.core.media_parts import MediaCollector, MediaPart, PartBuilder
from evidence.core.names import DIHEDRAL_NAMES, HashVariant
from evidence.core.query import QueryTable
from evidence.core.types import MediaKind
from evidence.media import sscd

if TYPE_CHECKING:
    from evidence.media.video.results import QueryFrame, SampledFrame


def _pdq(variant: str, value: bytes, quality: int | None) -> HashRecord:
    return HashRecord(variant, PDQ_ALGORITHM, PDQ_VERSION, value.hex(), quality)


# the query side is sampled densely: in hand-held footage frames half a second apart can be unrelated,
# so a copy trimmed at an odd time only lines up with the stored 1-per-second grid this way
QUERY_INTERVAL = Fraction(1, 15)


def run(path: Path, kind: MediaKind, options: AnalysisOptions) -> MediaResult:
    """The whole result at once: `stream`'s parts gathered as the receiving side gathers them."""
    collector = MediaCollector()
    parts = stream(path, kind, options)
    while True:
        try:
            collector.add(next(parts))
        except StopIteration as done:
            final: MediaResult = done.value
            return collector.result(final)


def stream(path: Path, kind: MediaKind, options: AnalysisOptions) -> Generator[MediaPart, None, MediaResult]:
    """The analysis in parts; returns the summary (or the error) without records.

    `options.query_interval`: "0" for every frame, a fraction of a second, or None for the default.
    `options.lookup`: only what looking a video up needs (query frames and descriptors, no frames to
    store: `single_pass.PassOptions.stores_frames`)."""
    if kind is MediaKind.IMAGE:
        result = _image(path)
        if result.error is None:
            yield MediaPart(
                sampled=tuple(result.frames),
                query=QueryTable(result.query),
                descriptors=tuple(result.descriptors),
            )
        return MediaResult(summary=result.summary, error=result.error)
    interval = QUERY_INTERVAL if options.query_interval is None else Fraction(options.query_interval)
    video = _video(
        path,
        quick=options.quick,
        sample_interval=Fraction(options.sample_interval),
        query_interval=interval,
        lookup=options.lookup,
    )
    return (yield from video)


def _image(path: Path) -> MediaResult:
    from evidence.media.image.analyse import ImageError, analyse_image

    try:
        result = analyse_image(path)
    except ImageError as exc:
        return MediaResult(error=str(exc))
    hashes = [_pdq(HashVariant.CANONICAL, result.pdq, result.quality)]
    if result.pdq_raw is not None:
        hashes.append(_pdq(HashVariant.RAW, result.pdq_raw, result.quality_raw))
    hashes.extend(
        _pdq(name, value, result.quality)
        for name, value in zip(DIHEDRAL_NAMES, result.dihedral, strict=True)
        if name != HashVariant.ORIGINAL
    )
    descriptor = DescriptorRecord(
        0, 0.0, HashVariant.CANONICAL, sscd.ALGORITHM, sscd.VERSION, result.descriptor, result.flat
    )
    frame = FrameRecord(
        idx=0,
        pts=Fraction(0),
        sampled=True,
        keyframe="first",
        quality=result.quality,
        flat=result.flat,
        jpeg=result.thumbnail_jpeg,
        hashes=tuple(hashes),
        descriptors=(descriptor,),
    )
    summary: dict[str, Any] = {
        "mode": "full",
        "width": result.width,
        "height": result.height,
        "orientation": result.orientation,
        "border": None if result.border is None else result.border.to_json(),
        "frames_in_file": result.frames,
        "sampled": 1,
        "keyframes": 1,
        "informative": int(frame.informative),
    }
    query = QueryRecord(0.0, frame.informative, tuple((h.variant, bytes.fromhex(h.hex)) for h in hashes))
    return MediaResult([frame], [query], [descriptor], summary)


def _video(
    path: Path, *, quick: bool, sample_interval: Fraction, query_interval: Fraction, lookup: bool
) -> Generator[MediaPart, None, MediaResult]:
    from evidence.media.video.analyse import (
        DescribedFrame,
        Keyframe,
        MediaError,
        Restart,
        SampledFrame,
        iter_video,
    )

    part, sampled, keyframes = PartBuilder(), 0, 0
    try:
        records = iter_video(
            path,
            sample_interval=sample_interval,
            quick=quick,
            query_interval=None if quick else query_interval,
            lookup=lookup,
        )
        while True:
            try:
                record = next(records)
            except StopIteration as done:
                result = done.value
                break
            if isinstance(record, Restart):  # the first pass's records are void
                part, sampled, keyframes = PartBuilder(), 0, 0
                yield MediaPart(restart=True)
            elif isinstance(record, SampledFrame):
                sampled += 1
                part.sampled.append(_sampled(record))
                if quick:  # the key frames stand in for the dense query
                    part.query.append(
                        float(record.pts), _informative(record), ((HashVariant.CANONICAL, record.pdq),)
                    )
            elif isinstance(record, DescribedFrame):
                part.descriptors.append(
                    DescriptorRecord(
                        record.index,
                        float(record.pts),
                        record.variant,
                        sscd.ALGORITHM,
                        sscd.VERSION,
                        record.vector,
                        record.flat,
                    )
                )
            elif isinstance(record, Keyframe):
                keyframes += 1
                part.keyframes.append(
                    FrameRecord(
                        idx=record.index,
                        pts=record.pts,
                        sampled=False,
                        keyframe=record.reason,
                        cut_score=record.score,
                        jpeg=record.jpeg,
                    )
                )
            else:
                part.query.append(float(record.pts), _informative(record), _query_hashes(record))
            if part.full():
                yield part.take()
    except MediaError as exc:
        return MediaResult(error=str(exc))
    if part:
        yield part.take()
    summary: dict[str, Any] = {
        "mode": "quick" if quick else "full",
        "width": result.width,
        "height": result.height,
        "rotation": result.rotation,
        "duration": float(result.duration) if result.duration is not None else None,
        "frames_decoded": result.frames_decoded,
        "sample_interval": str(sample_interval),
        "sampled": sampled,
        "keyframes": keyframes,
        "informative": 0,  # counted by MediaCollector, which sees every frame
        "border": None if result.border is None else result.border.to_json(),
        "footage_region": None if result.region is None else result.region.to_json(),
        "footage_outline": None
        if result.outline is None
        else [[round(x, 1), round(y, 1)] for x, y in result.outline],
        "warnings": list(result.warnings),
    }
    return MediaResult(summary=summary)


def _sampled(s: SampledFrame) -> FrameRecord:
    hashes = [_pdq(HashVariant.CANONICAL, s.pdq, s.quality)]
    if s.pdq_raw is not None:
        hashes.append(_pdq(HashVariant.RAW, s.pdq_raw, s.quality_raw))
    hashes.extend(_pdq(name, value, quality) for name, value, quality in s.regions)
    return FrameRecord(
        idx=s.index, pts=s.pts, sampled=True, quality=s.quality, flat=s.flat, hashes=tuple(hashes)
    )


def _informative(frame: SampledFrame | QueryFrame) -> bool:
    return not frame.flat and frame.quality >= MIN_QUALITY


def _query_hashes(q: QueryFrame) -> tuple[tuple[str, bytes], ...]:
    regions = ((name, value) for name, value, quality in q.regions if quality >= MIN_QUALITY)
    return ((HashVariant.CANONICAL, q.pdq), (HashVariant.MIRROR, q.pdq_mirror), *regions)
