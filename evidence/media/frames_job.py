"""Runs inside the analysis worker: turn a video's one decode pass, or an image's analysis, into
frame records (times, keyframe thumbnails, PDQ fingerprints) and a summary."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

from evidence.core.fingerprint import PDQ_ALGORITHM, PDQ_VERSION
from evidence.core.frames import FrameRecord, HashRecord, MediaResult
from evidence.core.types import MediaKind
from evidence.media.geometry import Box


def _pdq(variant: str, value: bytes, quality: int | None) -> HashRecord:
    return HashRecord(variant, PDQ_ALGORITHM, PDQ_VERSION, value.hex(), quality)


def _box(box: Box | None) -> dict[str, int] | None:
    return None if box is None else {"x": box.x, "y": box.y, "w": box.w, "h": box.h}


def run(path: Path, kind: MediaKind, *, quick: bool, sample_interval: str) -> MediaResult:
    if kind is MediaKind.IMAGE:
        return _image(path)
    return _video(path, quick=quick, sample_interval=Fraction(sample_interval))


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
    return MediaResult([frame], summary)


def _video(path: Path, *, quick: bool, sample_interval: Fraction) -> MediaResult:
    from evidence.media.video import MediaError, analyse_video

    try:
        result = analyse_video(path, sample_interval=sample_interval, quick=quick)
    except MediaError as exc:
        return MediaResult(error=str(exc))
    frames: dict[int, FrameRecord] = {}
    for s in result.sampled:
        hashes = [_pdq("canonical", s.pdq, s.quality)]
        if s.pdq_raw is not None:
            hashes.append(_pdq("raw", s.pdq_raw, s.quality_raw))
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
    return MediaResult(ordered, summary)
