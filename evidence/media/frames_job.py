"""Runs inside the analysis worker: turn a video's one decode pass, or an image's analysis, into
frame records (times, keyframe thumbnails, PDQ fingerprints) and a summary."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

from evidence.core.fingerprint import PDQ_ALGORITHM, PDQ_VERSION
from evidence.core.frames import MIN_QUALITY, FrameRecord, HashRecord, MediaResult, QueryRecord
from evidence.core.types import MediaKind
from evidence.media.geometry import Box


def _pdq(variant: str, value: bytes, quality: int | None) -> HashRecord:
    return HashRecord(variant, PDQ_ALGORITHM, PDQ_VERSION, value.hex(), quality)


def _box(box: Box | None) -> dict[str, int] | None:
    return None if box is None else {"x": box.x, "y": box.y, "w": box.w, "h": box.h}


# the query side is sampled densely: in hand-held footage frames half a second apart can be unrelated,
# so a copy trimmed at an odd time only lines up with the stored 1-per-second grid this way
QUERY_INTERVAL = Fraction(1, 15)


def run(
    path: Path, kind: MediaKind, *, quick: bool, sample_interval: str, query_interval: str | None = None
) -> MediaResult:
    """`query_interval`: "0" for every frame, a fraction of a second, or None for the default."""
    if kind is MediaKind.IMAGE:
        return _image(path)
    interval = QUERY_INTERVAL if query_interval is None else Fraction(query_interval)
    return _video(path, quick=quick, sample_interval=Fraction(sample_interval), query_interval=interval)


def _image(path: Path) -> MediaResult:
    from evidence.media.images import ImageError, analyse_image
    from evidence.media.pdq import DIHEDRAL_NAMES

    try:
        result = analyse_image(path)
    except ImageError as exc:
        return MediaResult(error=str(exc))
    hashes = [_pdq("canonical", result.pdq, result.quality)]
    if result.pdq_raw is not None:
        hashes.append(_pdq("raw", result.pdq_raw, result.quality_raw))
    hashes.extend(
        _pdq(name, value, result.quality)
        for name, value in zip(DIHEDRAL_NAMES, result.dihedral, strict=True)
        if name != "original"
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
    )
    summary: dict[str, Any] = {
        "mode": "full",
        "width": result.width,
        "height": result.height,
        "orientation": result.orientation,
        "border": _box(result.border),
        "frames_in_file": result.frames,
        "sampled": 1,
        "keyframes": 1,
        "informative": int(frame.informative),
    }
    query = QueryRecord(0.0, frame.informative, tuple((h.variant, bytes.fromhex(h.hex)) for h in hashes))
    return MediaResult([frame], [query], summary)


def _video(path: Path, *, quick: bool, sample_interval: Fraction, query_interval: Fraction) -> MediaResult:
    from evidence.media.video import MediaError, analyse_video

    try:
        result = analyse_video(
            path,
            sample_interval=sample_interval,
            quick=quick,
            query_interval=None if quick else query_interval,
        )
    except MediaError as exc:
        return MediaResult(error=str(exc))
    frames: dict[int, FrameRecord] = {}
    for s in result.sampled:
        hashes = [_pdq("canonical", s.pdq, s.quality)]
        if s.pdq_raw is not None:
            hashes.append(_pdq("raw", s.pdq_raw, s.quality_raw))
        hashes.extend(_pdq(name, value, quality) for name, value, quality in s.regions)
        frames[s.index] = FrameRecord(
            idx=s.index, pts=s.pts, sampled=True, quality=s.quality, flat=s.flat, hashes=tuple(hashes)
        )
    for k in result.keyframes:
        sampled = frames.get(k.index)
        frames[k.index] = FrameRecord(
            idx=k.index,
            pts=k.pts,
            sampled=sampled is not None,
            keyframe=k.reason,
            cut_score=k.score,
            quality=sampled.quality if sampled else None,
            flat=sampled.flat if sampled else False,
            jpeg=k.jpeg,
            hashes=sampled.hashes if sampled else (),
        )
    ordered = sorted(frames.values(), key=lambda f: (f.pts, f.idx))
    summary: dict[str, Any] = {
        "mode": "quick" if quick else "full",
        "width": result.width,
        "height": result.height,
        "rotation": result.rotation,
        "duration": float(result.duration) if result.duration is not None else None,
        "frames_decoded": result.frames_decoded,
        "sample_interval": str(sample_interval),
        "sampled": len(result.sampled),
        "keyframes": len(result.keyframes),
        "informative": sum(1 for f in ordered if f.sampled and f.informative),
        "border": _box(result.border),
        "warnings": list(result.warnings),
    }
    if quick:  # the key frames stand in for the dense query
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
    return MediaResult(ordered, query, summary)
