"""The matching rule: from frame-level hash hits to item-level verdicts. Pure: no database, no media.

A query (a new item, or a file given to `evidence match`) is fingerprinted densely; each of its frames
may hit stored frames of other items (hash distance under a threshold). Per candidate item the hits are
grouped by time offset (target time minus query time). A group is real evidence when enough distinct
stored frames line up at one offset: a copy plays the same pictures in the same order, a coincidence
does not. From the groups come the shares of each side that are matched, the matched segments, and a
classification:

- `duplicate`: both sides mostly matched (re-upload, re-encode, resize, crop, bars, logo, mirror, ...);
- `excerpt-of`: most of the query is in the candidate, not the other way round (a trimmed copy);
- `contains`: most of the candidate is in the query (the query adds an intro, or is longer);
- `partial`: a temporally consistent run of at least `partial_seconds` (a compilation), neither side
  mostly matched.

Once an alignment is established by strict hits, every stored frame of the candidate is compared with
the query frame at the aligned time, with a looser threshold: a heavily re-encoded or logo'd copy
whose frames mostly miss the strict threshold is still counted frame by frame, while the alignment
itself (the evidence that it is a copy at all) always rests on strict hits.

Query frames that hit many different items (black, bumpers, channel idents) carry no weight.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from evidence.core import hamming
from evidence.core.coverage import footage_span, speed_of, time_share
from evidence.core.frames import QueryRecord
from evidence.core.names import REGION_NAMES, HashVariant, RelationKind
from evidence.core.query import QueryTable
from evidence.core.verdicts import classify, per_candidate

PDQ_MATCHER = "pdq-offset-2"
MATCHER_VERSION = "pdq-offset-2+sscd-points-16"
"""What made a suggested relation: this rule on PDQ hashes and `core.descriptor_match` on descriptors.
A relation suggested by another version is re-scored when its items are analysed again."""


@dataclass(frozen=True, slots=True)
class MatchParams:
    threshold: int = 31  # PDQ Hamming distance for a frame hit (Meta's recommendation)
    offset_tolerance: float = 0.4  # seconds: hits this close in offset are the same alignment
    min_frames: int = 3  # distinct stored frames that must line up (fewer only for very short media)
    share: float = 0.85  # a side is "mostly matched" from this share on
    partial_seconds: float = 3.0  # the shortest run that makes a `partial` match
    segment_gap: float = 2.5  # seconds without hits that split a segment
    common_items: int = 6  # a query frame hitting more unrelated items than this is common (bumper, black)
    aligned_threshold: int = 48  # looser distance for frames at an alignment strict hits established
    aligned_window: float = 0.07  # seconds around the aligned time to look for the query frame
    cut: int = 64  # distance between neighbouring query frames from which the query has cut away


@dataclass(frozen=True, slots=True)
class FrameHit:
    query: int  # index into the query's frames
    item_id: int
    target_t: float
    distance: int
    via: str = HashVariant.CANONICAL  # which query variant hit: canonical, raw, mirror, rotate90, ...


REGIONS = frozenset(REGION_NAMES)


def comparable(stored_variant: str, query_variant: str) -> bool:
    """Which hashes may be compared: a region only with the same region; a centre only with a whole
    picture (one side is a crop of the other); whole pictures (as stored, uncropped, mirrored or turned)
    with each other."""
    if stored_variant in REGIONS or query_variant in REGIONS:
        return stored_variant == query_variant
    if stored_variant == HashVariant.CENTER:
        return query_variant == HashVariant.CANONICAL
    if query_variant == HashVariant.CENTER:
        return stored_variant in (HashVariant.CANONICAL, HashVariant.RAW)
    return True


@dataclass(frozen=True, slots=True)
class Target:
    item_id: int
    # its stored informative frames: (time, ((variant, PDQ), ...)) with the canonical hash first
    frames: tuple[tuple[float, tuple[tuple[str, bytes], ...]], ...]
    duration: float | None = None  # seconds of media, when known (`core.coverage`)

    @property
    def informative_times(self) -> tuple[float, ...]:
        return tuple(t for t, _ in self.frames)


@dataclass(frozen=True, slots=True, order=True)
class Segment:
    query_start: float
    query_end: float
    target_start: float
    target_end: float
    # the offsets at which the pictures fit as well (`core.offset_range`), where measured: a still
    # stretch fits anywhere within it
    offset_range: tuple[float, float] | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class ItemMatch:
    item_id: int
    classification: RelationKind
    score: float
    query_share: float
    target_share: float
    offsets: tuple[float, ...]
    segments: tuple[Segment, ...]
    closest: tuple[tuple[float, float, int], ...]  # (query t, target t, distance), best first
    matched_frames: int
    via: tuple[str, ...] = field(default=())
    # descriptor evidence (`core.descriptor_match`): (query t, target t, similarity), best first
    similar: tuple[tuple[float, float, float], ...] = field(default=())
    # a descriptor match suggested as `partial` for want of a picture check that confirms it: what it
    # would be, confirmed (`core.merge.vouched`: PDQ on the same alignment confirms it too)
    unconfirmed: RelationKind | None = None
    # the closest hit of a whole-picture hash (not a quarter's), where any counted
    whole_distance: int | None = None


def still_match(
    item_id: int,
    t: float,
    via: str,
    *,
    closest: tuple[tuple[float, float, int], ...] = (),
    similar: tuple[tuple[float, float, float], ...] = (),
) -> ItemMatch:
    """A single picture found at time `t` (seconds, rounded to ms) of a video: an excerpt of it."""
    return ItemMatch(
        item_id=item_id,
        classification=RelationKind.EXCERPT_OF,
        score=1.0,
        query_share=1.0,
        target_share=0.0,
        offsets=(t,),
        segments=(Segment(0.0, 0.0, t, t),),
        closest=closest,
        matched_frames=1,
        via=(via,),
        similar=similar,
    )


@dataclass(frozen=True, slots=True)
class _Aligned:
    offset: float  # target time minus query time
    query_t: float
    target_t: float
    hit: FrameHit


def _groups(aligned: Sequence[_Aligned], tolerance: float) -> list[list[_Aligned]]:
    """Hits whose offsets chain within `tolerance` of each other form one alignment."""
    groups: list[list[_Aligned]] = []
    for a in sorted(aligned, key=lambda a: a.offset):
        if groups and a.offset - groups[-1][-1].offset <= tolerance:
            groups[-1].append(a)
        else:
            groups.append([a])
    return groups


MAX_SPEED = 2.0
"""A copy plays its source at most this much faster or slower (the descriptors' fastest line too)."""


def _plausible(group: list[_Aligned], tolerance: float) -> list[_Aligned]:
    """The group as an alignment a copy can have: one side's matched frames may span at most
    `MAX_SPEED` times the other's (and a stored second). A still scene matches at every offset, so
    2 s of a tripod shot would otherwise chain into an alignment covering the whole shot (a compilation
    that borrows 2 s would "contain" it); such a group keeps the hits about its median offset."""
    query_ts = [a.query_t for a in group]
    target_ts = [a.target_t for a in group]
    query_span, target_span = max(query_ts) - min(query_ts), max(target_ts) - min(target_ts)
    slack = 1.0 + 2 * tolerance
    if target_span <= MAX_SPEED * query_span + slack and query_span <= MAX_SPEED * target_span + slack:
        return group
    middle = sorted(a.offset for a in group)[len(group) // 2]
    return [a for a in group if abs(a.offset - middle) <= tolerance]


def _segments(hits: Sequence[tuple[float, float]], gap: float) -> list[Segment]:
    ordered = sorted(hits)
    segments: list[Segment] = []
    start = ordered[0]
    last = ordered[0]
    for pair in ordered[1:]:
        if pair[0] - last[0] > gap:
            segments.append(Segment(start[0], last[0], start[1], last[1]))
            start = pair
        last = pair
    segments.append(Segment(start[0], last[0], start[1], last[1]))
    return segments


def match_items(
    frames: Sequence[QueryRecord],
    hits: Iterable[FrameHit],
    targets: dict[int, Target],
    params: MatchParams | None = None,
    groups: dict[int, int] | None = None,
) -> list[ItemMatch]:
    """Item-level matches, best first. `groups` maps items already known to be copies of each other
    to one group id: a frame hitting many copies of the same footage is not common, a frame hitting
    many unrelated items (a bumper, black) is."""
    params = params or MatchParams()
    table = QueryTable.of(frames)
    times, informative = table.times().tolist(), table.informative().tolist()
    hits = [h for h in hits if h.distance <= params.threshold and informative[h.query]]
    per_item = per_candidate(hits, groups or {}, params.common_items, targets)
    informative_seconds = {int(t) for t, usable in zip(times, informative, strict=True) if usable}
    aligner = _Aligner(table, times, informative, params)
    results = []
    for item_id, item_hits in per_item.items():
        found = _match_one(times, item_hits, targets[item_id], informative_seconds, params, aligner)
        if found is not None:
            results.append(found)
    results.sort(key=lambda m: (-m.score, m.item_id))
    return results


def _match_one(
    times: list[float],
    hits: list[FrameHit],
    target: Target,
    informative_seconds: set[int],
    params: MatchParams,
    aligner: _Aligner,
) -> ItemMatch | None:
    aligned = [_Aligned(h.target_t - times[h.query], times[h.query], h.target_t, h) for h in hits]
    need = max(1, min(params.min_frames, len(target.informative_times), len(informative_seconds)))
    groups = [_plausible(g, params.offset_tolerance) for g in _groups(aligned, params.offset_tolerance)]
    kept = [g for g in groups if len({round(a.target_t, 3) for a in g}) >= need]
    if not kept:
        return None
    kept = [aligner.extend(group, target) for group in kept]
    chosen = [a for group in kept for a in group]
    matched_targets = {round(a.target_t, 3) for a in chosen}
    target_share = min(1.0, len(matched_targets) / max(1, len(target.informative_times)))
    span = footage_span(target.informative_times, target.duration)
    if span is not None:  # the stored frames are a second apart: the query must show its seconds too
        start, end = span
        target_share = min(target_share, time_share(sum(aligner.shown(g, end) for g in kept), end - start))
    matched_seconds = {int(a.query_t) for a in chosen}
    query_share = min(1.0, len(matched_seconds & informative_seconds) / max(1, len(informative_seconds)))
    segments = tuple(
        sorted(s for g in kept for s in _segments([(a.query_t, a.target_t) for a in g], params.segment_gap))
    )
    longest = max(s.query_end - s.query_start for s in segments)
    classification = classify(query_share, target_share, longest, params.share, params.partial_seconds)
    if classification is None:
        return None
    offsets = tuple(round(g[len(g) // 2].offset, 3) for g in kept)
    closest = tuple(
        (round(a.query_t, 3), round(a.target_t, 3), a.hit.distance)
        for a in sorted(chosen, key=lambda a: (a.hit.distance, a.query_t))[:5]
    )
    return ItemMatch(
        item_id=target.item_id,
        classification=classification,
        score=round(max(query_share, target_share), 3),
        query_share=round(query_share, 3),
        target_share=round(target_share, 3),
        offsets=offsets,
        segments=segments,
        closest=closest,
        matched_frames=len(matched_targets),
        via=tuple(sorted({a.hit.via for a in chosen})),
        whole_distance=min((a.hit.distance for a in chosen if a.hit.via not in REGIONS), default=None),
    )


class _Aligner:
    """Compares a candidate's stored frames with the query frames at an established alignment."""

    def __init__(
        self, table: QueryTable, times: list[float], informative: list[bool], params: MatchParams
    ) -> None:
        self.params = params
        self.times = times
        self.matrices: dict[str, npt.NDArray[np.uint64]] = {}
        self.present: dict[str, npt.NDArray[np.bool_]] = {}
        self.usable = (np.array(informative, dtype=bool) & (table.hash_counts() > 0)).tolist()
        row_frame, row_code, row_hashes = table.hash_rows()
        words = hamming.pack(row_hashes)
        for variant in sorted({table.variants[c] for c in np.unique(row_code).tolist()}):
            chosen = row_code == table.variants.index(variant)
            rows = np.zeros((len(table), hamming.WORDS), dtype=np.uint64)
            present = np.zeros(len(table), dtype=bool)
            rows[row_frame[chosen]] = words[chosen]
            present[row_frame[chosen]] = True
            self.matrices[variant] = np.asfortranarray(rows)
            self.present[variant] = present

    def shown(self, group: list[_Aligned], end: float) -> float:
        """Seconds of the candidate the group shows: its query span at its speed, with the query frames
        after its last hit that continue the same shot, up to the candidate's `end` (its last stored
        frame stands for the second after it, which only the query can tell)."""
        query_ts = [a.query_t for a in group]
        target_ts = [a.target_t for a in group]
        speed = speed_of(max(query_ts) - min(query_ts), max(target_ts) - min(target_ts))
        last = max(group, key=lambda a: (a.target_t, a.query_t))
        tail = self._same_shot(last.hit.query, max(0.0, end - last.target_t) / speed)
        return (last.query_t - min(query_ts) + tail) * speed

    def _same_shot(self, q: int, limit: float) -> float:
        """How long (at most `limit` seconds) the query goes on from frame `q` before it cuts away."""
        canonical = self.matrices.get(HashVariant.CANONICAL)
        if canonical is None:
            return limit
        present = self.present[HashVariant.CANONICAL]
        i = q
        while i + 1 < len(self.times) and self.times[i + 1] - self.times[q] < limit:
            if not (self.usable[i + 1] and present[i] and present[i + 1]):
                break
            if int(hamming.distances(canonical[i], canonical[i + 1 : i + 2])[0]) > self.params.cut:
                break
            i += 1
        step = self.times[i + 1] - self.times[i] if i + 1 < len(self.times) else 0.0
        return min(limit, self.times[i] - self.times[q] + step)

    def extend(self, group: list[_Aligned], target: Target) -> list[_Aligned]:
        """The group plus every stored frame that the query frame at the same alignment resembles."""
        if not self.matrices or not target.frames:
            return group
        offset = sorted(a.offset for a in group)[len(group) // 2]
        vias = {a.hit.via for a in group} & set(self.matrices)
        seen = {round(a.target_t, 3) for a in group}
        out = list(group)
        window = self.params.aligned_window
        item_id = group[0].hit.item_id
        for target_t, stored_hashes in target.frames:
            if round(target_t, 3) in seen:
                continue
            query_t = target_t - offset
            lo = bisect.bisect_left(self.times, query_t - window)
            hi = bisect.bisect_right(self.times, query_t + window)
            rows = [i for i in range(lo, hi) if self.usable[i]]
            if not rows:
                continue
            best: tuple[int, int, str] | None = None
            for variant, value in stored_hashes:
                stored = hamming.pack([value])[0]
                for via in vias:
                    if not comparable(variant, via):
                        continue
                    distances = hamming.distances(stored, self.matrices[via][rows])
                    distances = np.where(self.present[via][rows], distances, 1 << 16)
                    k = int(np.argmin(distances))
                    if best is None or int(distances[k]) < best[0]:
                        best = (int(distances[k]), rows[k], via)
            if best is not None and best[0] <= self.params.aligned_threshold:
                q = best[1]
                hit = FrameHit(q, item_id, target_t, best[0], best[2])
                out.append(_Aligned(target_t - self.times[q], self.times[q], target_t, hit))
        return out
