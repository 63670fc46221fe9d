"""What analysis produces per frame: plain values that cross the worker process boundary."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

# PDQ frames below this quality carry no weight in matching (Meta's recommendation)
MIN_QUALITY = 50
# what `HashVariant.CENTER` leaves off each side of a picture: compared with whole pictures, so that a
# copy cropped by about a tenth and scaled back matches the original, and the other way round
CENTER_MARGIN = 0.05


@dataclass(frozen=True, slots=True)
class HashRecord:
    variant: str  # a `HashVariant`: canonical, raw, a region, center, a dihedral name such as rotate90
    algorithm: str
    version: int
    hex: str
    quality: int | None


@dataclass(frozen=True, slots=True)
class DescriptorRecord:
    """A frame's copy-detection descriptor (`media.sscd`): stored with the sampled frames, and on the
    denser descriptor grid the query side of matching."""

    idx: int  # the frame's index
    t: float  # seconds
    variant: str  # "canonical" (the whole picture, border removed) or "region" (where the footage moves)
    algorithm: str
    version: int
    vector: bytes  # 512 little-endian float16
    flat: bool = False  # a single colour: never match evidence


@dataclass(frozen=True, slots=True)
class FrameRecord:
    idx: int
    pts: Fraction  # seconds
    sampled: bool
    keyframe: str | None = None  # "first" | "scene-cut" | "static"
    cut_score: float | None = None
    quality: int | None = None
    flat: bool = False
    jpeg: bytes | None = None  # thumbnail of a keyframe
    hashes: tuple[HashRecord, ...] = ()
    descriptors: tuple[DescriptorRecord, ...] = ()

    @property
    def informative(self) -> bool:
        return not self.flat and (self.quality or 0) >= MIN_QUALITY

    def counts(self, fingerprint: HashRecord) -> bool:
        """Whether this fingerprint of the frame is informative enough to match on."""
        return self.informative and (fingerprint.quality or 0) >= MIN_QUALITY


@dataclass(frozen=True, slots=True)
class QueryRecord:
    """A frame fingerprinted to look the media up (denser than what is stored; never stored): the one
    query-frame type, what the analysis sends and the matcher reads. Many of them are held compactly
    in a `core.query.QueryTable`, which is a sequence of these."""

    t: float  # seconds
    informative: bool
    # (variant, 32-byte PDQ): canonical, mirror, raw, rotate90, ...
    hashes: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True, slots=True)
class MediaResult:
    frames: list[FrameRecord] = field(default_factory=list)
    query: Sequence[QueryRecord] = field(default_factory=list)  # a `QueryTable` from the analysis
    descriptors: Sequence[DescriptorRecord] = field(default_factory=list)  # every described frame, by time
    summary: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def fraction_text(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def parse_fraction(text: str) -> Fraction:
    return Fraction(text)


def frame_row(f: FrameRecord, thumbnail: str | None) -> dict[str, Any]:
    """A frame's columns (all but its ids), as recorded."""
    return {
        "idx": f.idx,
        "pts": fraction_text(f.pts),
        "t": float(f.pts),
        "sampled": f.sampled,
        "keyframe": f.keyframe,
        "cut_score": f.cut_score,
        "thumbnail": thumbnail,
        "quality": f.quality,
        "flat": f.flat,
    }


def descriptor_row(d: DescriptorRecord) -> dict[str, Any]:
    """A stored descriptor's columns (all but its ids)."""
    return {
        "algorithm": d.algorithm,
        "version": d.version,
        "variant": d.variant,
        "vector": d.vector,
        "flat": d.flat,
    }
