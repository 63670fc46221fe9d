"""What `analyse_video` returns: sampled frames (stored, the matching index), query frames (denser,
for look-ups, never stored), keyframes (for people) and the whole analysis; `iter_video` yields the
same records one by one, with a `Restart` when the pass runs again."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from evidence.core.box import Box, Corners


@dataclass(frozen=True, slots=True)
class SampledFrame:
    """A frame on the sampling grid with its PDQ hashes (the matching index)."""

    index: int  # presentation-order index of the decoded frame (0-based)
    pts: Fraction  # seconds from the stream start
    pdq: bytes  # 32 bytes, canonical (upright, border removed)
    quality: int
    pdq_raw: bytes | None  # upright, uncropped; only when a border was removed
    quality_raw: int | None
    flat: bool  # black/white/single colour: never used as match evidence
    regions: tuple[tuple[str, bytes, int], ...] = ()  # (name, PDQ, quality) of the canonical picture's parts


@dataclass(frozen=True, slots=True)
class QueryFrame:
    """A densely sampled frame used to look a video up (never stored): canonical and mirrored hash.

    The decode pass's raw record, like `SampledFrame` (quality and flatness not yet judged);
    `analysis.media_job` turns it into the one query-frame type, `core.frames.QueryRecord`."""

    index: int
    pts: Fraction
    pdq: bytes
    pdq_mirror: bytes  # of the left-right mirror image, so that flipped copies are found
    quality: int
    flat: bool
    regions: tuple[tuple[str, bytes, int], ...] = ()  # on a sparser grid (`REGION_INTERVAL`)


@dataclass(frozen=True, slots=True)
class DescribedFrame:
    """A frame on the descriptor grid with its copy-detection descriptor (`media.sscd`, packed):
    the picture that matching compares, upright with the border removed, or only the part of it where
    the footage moves (`variant` "region": a picture inside a programme frame, a filmed screen)."""

    index: int
    pts: Fraction
    variant: str  # "canonical" or "region"
    vector: bytes  # `sscd.pack`: 512 float16
    flat: bool  # a single colour: never match evidence


@dataclass(frozen=True, slots=True)
class Keyframe:
    """A frame for people to look at: the first, a scene cut, or one in a long static shot."""

    index: int
    pts: Fraction
    reason: str  # "first" | "scene-cut" | "static"
    score: float  # the content change at this cut (0 for first/static)
    jpeg: bytes  # upright thumbnail, at most 320 px wide


@dataclass(frozen=True, slots=True)
class VideoAnalysis:
    """What one analysis pass over a video yields."""

    width: int  # upright display size
    height: int
    rotation: int  # clockwise degrees applied to make frames upright (0/90/180/270)
    duration: Fraction | None
    frames_decoded: int
    border: Box | None  # content box in upright pixels; None when there is no black border
    sampled: list[SampledFrame]
    keyframes: list[Keyframe]
    quick: bool
    warnings: list[str]
    query: list[QueryFrame] = field(default_factory=list)  # only when asked for with `query_interval`
    region: Box | None = None  # where the footage moves inside the upright canonical picture, if apart
    described: list[DescribedFrame] = field(default_factory=list)  # by frame index
    outline: Corners | None = None  # a filmed screen's picture (its corners) placing `region`


@dataclass(frozen=True, slots=True)
class Restart:
    """In `iter_video`'s stream: the border moved and the pass runs again; forget every record so far."""

    reason: str


VideoRecord = SampledFrame | QueryFrame | Keyframe | DescribedFrame | Restart
