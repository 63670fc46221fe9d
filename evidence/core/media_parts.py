"""An analysis result in parts: the worker sends its records as the decode pass makes them, a few
dozen frames at a time, and `MediaCollector` puts them together where they are used. So the worker
holds one part whatever the video's length, and what is gathered is kept compactly (the dense query
in a `QueryTable`)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from evidence.core.frames import DescriptorRecord, FrameRecord, MediaResult
from evidence.core.query import QueryTable

PART_FRAMES = 64  # stored frame records per part (a keyframe carries a thumbnail of a few tens of KB)
PART_QUERY = 1024  # query frames per part (about 150 bytes each)


@dataclass(frozen=True, slots=True)
class MediaPart:
    """Records in the order they were made. `restart`: the analysis started again (a video's border
    moved after the first pass): everything sent before is void."""

    sampled: tuple[FrameRecord, ...] = ()  # sampled frames (an image's one frame)
    keyframes: tuple[FrameRecord, ...] = ()  # idx, pts, keyframe, cut_score and jpeg only
    query: QueryTable = field(default_factory=QueryTable)
    restart: bool = False
    descriptors: tuple[DescriptorRecord, ...] = ()  # a region's replaces the whole picture's of a frame


@dataclass(slots=True)
class PartBuilder:
    """The worker's side: records go in, a part comes out when it holds enough of them."""

    sampled: list[FrameRecord] = field(default_factory=list)
    keyframes: list[FrameRecord] = field(default_factory=list)
    query: QueryTable = field(default_factory=QueryTable)
    descriptors: list[DescriptorRecord] = field(default_factory=list)

    def full(self) -> bool:
        frames = len(self.sampled) + len(self.keyframes) + len(self.descriptors) // 2
        return frames >= PART_FRAMES or len(self.query) >= PART_QUERY

    def __bool__(self) -> bool:
        return bool(self.sampled or self.keyframes or len(self.query) or self.descriptors)

    def take(self) -> MediaPart:
        part = MediaPart(
            tuple(self.sampled), tuple(self.keyframes), self.query, False, tuple(self.descriptors)
        )
        self.sampled, self.keyframes, self.query, self.descriptors = [], [], QueryTable(), []
        return part


class MediaCollector:
    """The receiving side: gathers parts, then makes the `MediaResult` the whole analysis would have
    been (frames merged by index and ordered by time, the query in order)."""

    def __init__(self) -> None:
        self._sampled: dict[int, FrameRecord] = {}  # a later frame with the same index replaces one
        self._keyframes: list[FrameRecord] = []
        self._query = QueryTable()
        self._descriptors: dict[int, DescriptorRecord] = {}

    def add(self, part: MediaPart) -> None:
        if part.restart:
            self._sampled, self._keyframes, self._query, self._descriptors = {}, [], QueryTable(), {}
        for frame in part.sampled:
            self._sampled[frame.idx] = frame
        for d in part.descriptors:
            self._descriptors[d.idx] = d
        self._keyframes.extend(part.keyframes)
        self._query.extend(part.query)

    def result(self, final: MediaResult) -> MediaResult:
        """The whole result, given the worker's final reply (a summary or an error, no records). The
        summary's `informative` count needs every frame, so it is made here."""
        if final.error is not None:
            return final
        frames, described = self._sampled, self._descriptors
        for idx, frame in frames.items():  # a sampled frame is on the descriptor grid too
            if idx in described:
                frames[idx] = replace(frame, descriptors=(described[idx],))
        for k in self._keyframes:  # a keyframe that is also a sampled frame gets its hashes
            s = frames.get(k.idx)
            frames[k.idx] = replace(
                k,
                sampled=s is not None,
                quality=s.quality if s else None,
                flat=s.flat if s else False,
                hashes=s.hashes if s else (),
                descriptors=s.descriptors if s else (),
            )
        ordered = sorted(frames.values(), key=lambda f: (f.pts, f.idx))
        query_descriptors = sorted(described.values(), key=lambda d: (d.t, d.idx))
        self._sampled, self._keyframes, self._descriptors = {}, [], {}
        summary = dict(final.summary)
        if "informative" in summary:
            summary["informative"] = sum(1 for f in ordered if f.sampled and f.informative)
        return MediaResult(ordered, self._query, query_descriptors, summary)
