"""The matching rule on copy-detection descriptors (SSCD): from frame pairs to item-level verdicts.
Pure: no database, no media.

A query's described frames (two a second) are compared with the stored described frames of other
items (one a second); a pair counts when the two descriptors' similarity (dot product of unit vectors)
is at least `pair`. Copies show the same pictures in the same order, so per candidate item the pairs
are explained by straight lines, target time = speed x query time + offset:

- each query frame votes, for every speed in `speeds` (0.5x to 2x), for the offsets its pairs imply
  (bins of twice `tolerance`, once per bin with its most similar pair, weighted by that similarity
  and a little by its specificity: through a still stretch every offset within it collects the same
  similarities, and a specific pair pins the line); the heaviest (speed, offset) wins, and another
  speed must beat normal speed by `SPEED_MARGIN`; the line is placed by its inliers' median, weighted
  towards the most similar and the specific pairs;
- its inliers (target time within `tolerance` of the line; one pair per query frame) are split where
  the query has no inlier for `segment_gap` seconds; a run is a segment when it holds at least
  `min_pairs` query frames and its three best pairs average at least `strong`;
- those query frames are taken out and the next line is sought, so a re-edit (sections reordered or
  cut), a compilation (pieces at several offsets) and a speed change each come out as their segments.

Look-alike footage (one city's night skyline, one template's slides, pages of text) is as alike to
the descriptor as a cropped or zoomed copy is to its source, and a slow single shot has no moments of
its own to be specific about. Where the descriptors alone do not convince, the pictures are checked
(a `Verifier`, given by the caller: `media.local_features`): the aligned frames of a copy show the same
scene point for point, one plane mapped onto the other (a crop, a zoom, a rotation, a mirror, a
picture inside a picture, a filmed screen), which unrelated look-alike footage does not. A run whose
frame pairs mostly map (`checks` pairs, at least `mapped` of them with `inliers` matching points)
counts as convincing, and a match with such a run joins clusters. A stretch of the query shows one
footage at a time: a run that the descriptors alone would take (specific, or a 2 s piece from
`strong_piece` on) is checked on its pictures too where another group's pictures mapped or its frames
were all but identical, since one renderer's streets or one city's night reach that level against each
other's pieces; only frames all but identical (`strong_flat`) are taken anywhere on their own word.

The shares, the classification (duplicate, excerpt-of, contains, partial) and the query frames that are
"common" (they resemble many unrelated items: black, a bumper, a channel ident) follow the PDQ rule in
`core.matching`. A partial needs `partial_seconds` of query time, less than PDQ's, because a descriptor
run of four frames over 1.5 s is already strong evidence. A single picture (a photo, a screenshot) is
an excerpt of the videos with a stored frame at least `still` similar (and as convincing); pictures
are not compared with pictures here: two pictures with the same graphic on different content look
alike to the descriptor, and PDQ with its turns and mirrors finds copies of a picture.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from evidence.core.coverage import footage_span, time_share
from evidence.core.descriptor_checks import Checks, Ledger, Verifier
from evidence.core.descriptor_place import F64, between_stored_frames, placing, weighted_median
from evidence.core.descriptor_runs import Evidence, Line, covered, evidence, runs
from evidence.core.matching import ItemMatch, Segment, still_match
from evidence.core.names import RelationKind
from evidence.core.verdicts import classify, per_candidate

SPEED_MARGIN = 1.1  # another speed's line must collect this much more than normal speed's
SPECIFIC_BONUS = 0.1  # a vote's extra weight per unit of its pair's specificity


@dataclass(frozen=True, slots=True)
class DescriptorParams:
    pair: float = 0.40  # similarity for a frame pair to count (unrelated footage measured at <= 0.28)
    strong: float = 0.50  # a segment's three best pairs average at least this, when they are specific
    specific: float = 0.10  # a segment's median specificity from which `strong` suffices
    # a descriptor-only match joins clusters (duplicate, excerpt-of, contains) from this level of its
    # best pairs on; below it, only when its pictures map, else it is suggested as `partial`: on the
    # tune halves of bench/dupes, slides of one template reached 0.90 and 0.96 between unrelated decks
    # (the second tune half's near miss, other words on the same slides) while true copies spread over
    # 0.79-0.99
    join: float = 0.97
    # otherwise (a static shot, look-alike scenes) they must be all but identical: unrelated pictures of
    # one kind (synthetic test patterns, one app's screens) reach 0.94 without being copies; a static
    # copy with PDQ-visible edits is PDQ's to find
    strong_flat: float = 0.97
    # a run whose specificity only the stored side could judge (a 2 s piece of a compilation): on the
    # tune half of bench/dupes, unrelated footage of the same kind reached 0.71 against such pieces
    # (intros, near misses, one renderer's streets) and the pieces' sources 0.86-0.98
    strong_piece: float = 0.80
    per_frame: int = 3  # stored frames per query frame and candidate taken as pairs
    speeds: tuple[float, ...] = (1.0, 0.5, 2 / 3, 0.75, 0.8, 0.9, 1.1, 1.25, 4 / 3, 1.5, 2.0)
    tolerance: float = 0.75  # seconds of target time off the line
    min_pairs: int = 3  # query frames in a segment (a 2 s piece has four)
    segment_gap: float = 2.0  # query seconds without an inlier that split a segment
    share: float = 0.85
    partial_seconds: float = 1.4
    still: float = 0.55  # a single picture (a photo, a screenshot) against a stored frame, unchecked
    common_items: int = 6
    common_margin: float = 0.1  # items this close to a frame's best similarity count towards common
    max_lines: int = 32
    # the picture check (`Verifier`): frame pairs checked per run, how many must map, with how many
    # matching points (ORB at 360 px; bench/dupes tune half: copies 25-450, look-alikes at most 44 in
    # one pair of three), and the pictures a run must resemble at least this much to be checked
    checks: int = 3
    mapped: int = 2
    inliers: int = 30
    check_floor: float = 0.45


@dataclass(frozen=True, slots=True)
class Pair:
    query: int  # row of the query's described frames
    item_id: int
    target_t: float
    similarity: float
    # how much more similar than the query frame is to the candidate's frames at large (the median):
    # high for footage that changes; about 0 for look-alike content (every frame like every other)
    specificity: float = 1.0
    # whether the query side's specificity was judged too (not for a short piece between cuts, which
    # has no moments of its own to compare): the stored side alone is fooled by look-alike footage
    query_judged: bool = True


@dataclass(frozen=True, slots=True)
class DescribedQuery:
    times: tuple[float, ...]  # each described frame's time, in order
    usable: tuple[bool, ...]  # not flat


def match_descriptors(
    query: DescribedQuery,
    pairs: Iterable[Pair],
    target_times: Mapping[int, Sequence[float]],
    params: DescriptorParams | None = None,
    groups: dict[int, int] | None = None,
    verify: Verifier | None = None,
    durations: Mapping[int, float] | None = None,
) -> list[ItemMatch]:
    """Item-level matches, best first. `target_times`: each candidate's usable described times;
    `durations`: their media's seconds, where known (a side is mostly matched by time too, `core.coverage`);
    `groups`: items already known to be copies of each other (as for `core.matching.match_items`);
    `verify`: the picture check for runs the descriptors alone do not make convincing (candidates
    are checked most similar first, so a caller's budget goes where a copy is likeliest)."""
    params = params or DescriptorParams()
    kept = [p for p in pairs if p.similarity >= params.pair and query.usable[p.query]]
    # a frame is common when many unrelated items hold a frame as like it as its best match (a bumper,
    # black); look-alike footage merely resembles it (every frame of one renderer's landscapes is 0.4
    # like dozens of items), and counting those would silence the copies of such footage
    best: dict[int, float] = defaultdict(float)
    for p in kept:
        best[p.query] = max(best[p.query], p.similarity)
    per_item = per_candidate(
        kept,
        groups or {},
        params.common_items,
        target_times,
        counts=lambda p: p.similarity >= best[p.query] - params.common_margin,
    )
    usable_times = [t for t, ok in zip(query.times, query.usable, strict=True) if ok]
    ranked = sorted(per_item.items(), key=lambda kv: (-max(p.similarity for p in kv[1]), kv[0]))
    if len(query.times) == 1:  # a picture is looked for in videos (pictures alike are PDQ's to find)
        videos = [(i, pairs) for i, pairs in ranked if len(target_times[i]) >= 2]
        return _stills(videos, params, verify, groups or {})
    ledger = Ledger(groups)  # what the pictures said of each group of known copies, and where
    found: dict[int, ItemMatch] = {}

    def look(item_id: int, item_pairs: list[Pair], defer: bool) -> Checks:
        """Match one candidate (its result replaces an earlier round's); what its checks met."""
        checks = Checks(item_id, verify, params, ledger, defer=defer)
        stored = sorted(target_times[item_id])
        span = footage_span(stored, (durations or {}).get(item_id))
        seconds = None if span is None else span[1] - span[0]
        match = _match_one(query, usable_times, item_pairs, stored, seconds, params, checks)
        found.pop(item_id, None)
        if match is not None:
            found[item_id] = match
        return checks

    # stretches no footage explains yet are checked first; runs within a stretch that another group's
    # pictures explain wait for what is left of the budget (`core.descriptor_checks`), and so does a
    # piece taken on the descriptors alone where another group's footage turned out to be after all
    looked = [(item_id, item_pairs, look(item_id, item_pairs, True)) for item_id, item_pairs in ranked]
    waiting = [(item_id, item_pairs) for item_id, item_pairs, c in looked if c.deferred or c.doubted()]
    for item_id, item_pairs in waiting:
        look(item_id, item_pairs, False)
    return sorted(found.values(), key=lambda m: (-m.score, m.item_id))


def _stills(
    ranked: Sequence[tuple[int, list[Pair]]],
    params: DescriptorParams,
    verify: Verifier | None,
    groups: Mapping[int, int],
) -> list[ItemMatch]:
    """A single picture is an excerpt of the videos whose frame at one of its best pairs' moments
    shows the same scene point for point (`verify`), or is all but identical to it (`strong_flat`).
    One renderer's streets, one template's slides, a city at night are as alike to the descriptor as a
    crop or a screenshot is to its frame, and a still or slow scene is about as alike at every moment
    (its best pair need not be the moment shown), so similarity alone decides neither way. The checks
    are bounded: the most similar candidates go first, and once an item of a group of known copies is
    found, the rest of its group is not looked at (the group is that footage; the picture is tied to it).
    Without a `verify` (no worker to decode pictures with), a stored frame at least `still` similar and
    specific enough makes the match. `ranked`: the candidate videos' pairs, most similar first."""
    found, footage = [], set()
    for item_id, pairs in ranked:
        if verify is not None and groups.get(item_id) in footage:
            continue
        best = max(pairs, key=lambda p: (p.similarity, -p.target_t))
        checked = verify is not None and best.similarity < params.strong_flat
        if verify is None:
            weak = evidence([best.similarity], [best.specificity], params) is Evidence.WEAK
            if best.similarity < params.still or weak:
                continue
        elif checked:
            ordered = sorted(pairs, key=lambda p: (-p.similarity, p.target_t))
            counts = verify(item_id, [(0.0, p.target_t) for p in ordered])
            mapped = [(n, p) for n, p in zip(counts, ordered, strict=False) if n >= params.inliers]
            if not mapped:
                continue
            best = max(mapped, key=lambda counted: counted[0])[1]  # the moment that maps most
        t = round(best.target_t, 3)
        match = still_match(item_id, t, "sscd", similar=((0.0, t, round(best.similarity, 3)),))
        found.append(replace(match, via=("sscd", "points")) if checked else match)
        if item_id in groups:
            footage.add(groups[item_id])
    found.sort(key=lambda m: (-m.similar[0][2], m.item_id))
    return found


def _match_one(
    query: DescribedQuery,
    usable_times: list[float],
    pairs: list[Pair],
    target_times: list[float],
    seconds: float | None,
    params: DescriptorParams,
    checked: Checks,
) -> ItemMatch | None:
    q = np.array([p.query for p in pairs], dtype=np.int64)
    tq = np.array([query.times[p.query] for p in pairs], dtype=np.float64)
    ts = np.array([p.target_t for p in pairs], dtype=np.float64)
    sim = np.array([p.similarity for p in pairs], dtype=np.float64)
    spec = np.array([p.specificity for p in pairs], dtype=np.float64)
    judged = np.array([p.query_judged for p in pairs], dtype=bool)
    alive = np.ones(len(pairs), dtype=bool)
    segments: list[tuple[Segment, list[int], Line]] = []
    known = {(int(q[r]), round(float(ts[r]), 3)): float(sim[r]) for r in range(len(q))}  # pair similarities
    for _ in range(params.max_lines):
        line = _best_line(q, tq, ts, sim, spec, alive, params)
        if line is None:
            break
        offset = between_stored_frames(line.speed, line.rows, q, tq, ts, sim, spec, target_times, known)
        line = Line(line.speed, offset, line.rows)
        found = []
        for segment, rows, said in runs(line, tq, ts, sim, spec, judged, params):
            frames = _frames(rows, tq, sim)
            if said is Evidence.SURE:
                checked.vouch(frames)
            # a stretch shows one footage at a time: where another group's pictures mapped (or its
            # frames are all but identical), a run the descriptors alone found is checked too
            alone = said is Evidence.SURE or (
                said in (Evidence.SPECIFIC, Evidence.PIECE) and checked.take_alone(frames)
            )
            if alone or checked.run(line.speed, line.offset, frames):
                found.append((segment, rows))
        if not found:
            break
        alive[list(line.rows)] = False  # this line's pairs are judged (a stretch trimmed off its runs too)
        for segment, rows in found:
            segments.append((segment, rows, line))
            # a query frame belongs to one segment, and a stretch of the candidate is used once: a
            # repeated view of the same scene must not count the same stored footage twice
            lo, hi = _target_span(segment)
            alive[np.isin(q, q[rows])] = False
            alive[(ts >= lo - params.tolerance) & (ts <= hi + params.tolerance)] = False
    if not segments:
        return None
    chosen = [r for _, rows, _ in segments for r in rows]
    query_share = covered(usable_times, [(s.query_start, s.query_end) for s, _, _ in segments], 0.3)
    target_share = covered(target_times, [_target_span(s) for s, _, _ in segments], params.tolerance)
    step = float(np.median(np.diff(usable_times))) if len(usable_times) > 1 else 0.0
    shown = sum((s.query_end - s.query_start + step) * line.speed for s, _, line in segments)
    target_share = min(target_share, time_share(shown, seconds))  # the stored frames are a second apart
    ordered = sorted(s for s, _, _ in segments)
    longest = max(s.query_end - s.query_start for s in ordered)
    classification = classify(query_share, target_share, longest, params.share, params.partial_seconds)
    if classification is None:
        return None
    best = sorted(chosen, key=lambda r: (-sim[r], tq[r]))
    unconfirmed = None
    if float(np.mean([sim[r] for r in best[:3]])) < params.join and not checked.any_mapped:
        # look-alike content reaches this level: only the pictures themselves can settle it
        _, rows, line = max(segments, key=lambda sr: sr[0].query_end - sr[0].query_start)
        if not checked.run(line.speed, line.offset, _frames(rows, tq, sim)):
            if classification != RelationKind.PARTIAL:
                unconfirmed = classification
            classification = RelationKind.PARTIAL
    offsets = tuple(round(s.target_start - s.query_start, 3) for s in ordered)
    return ItemMatch(
        item_id=pairs[0].item_id,
        classification=classification,
        score=round(max(query_share, target_share), 3),
        query_share=round(query_share, 3),
        target_share=round(target_share, 3),
        offsets=offsets,
        segments=tuple(ordered),
        closest=(),
        matched_frames=len({round(float(ts[r]), 3) for r in chosen}),
        via=("sscd", "points") if checked.any_mapped else ("sscd",),
        similar=tuple(
            (round(float(tq[r]), 3), round(float(ts[r]), 3), round(float(sim[r]), 3)) for r in best[:5]
        ),
        unconfirmed=unconfirmed,
    )


def _best_line(
    q: npt.NDArray[np.int64],
    tq: F64,
    ts: F64,
    sim: F64,
    spec: F64,
    alive: npt.NDArray[np.bool_],
    params: DescriptorParams,
) -> Line | None:
    """The (speed, offset) line that the most query frames agree on: each query frame votes once per
    offset bin (with its most similar pair there), on two bin grids half a bin apart; another speed
    must beat normal speed by `SPEED_MARGIN` (neighbouring frames of one shot look alike, so slanted
    lines through a shot collect votes too), and is measured only by pairs specific to their moment
    (`specific`: in a still scene every slope fits) on `min_pairs` stored frames."""
    rows = np.flatnonzero(alive)
    if len(rows) < params.min_pairs:
        return None
    width = 2 * params.tolerance
    best: tuple[float, float, float] | None = None  # (weight, speed, offset)
    for speed in params.speeds:
        voters = rows if speed == 1.0 else rows[spec[rows] >= params.specific]
        if len(voters) < params.min_pairs:
            continue
        offsets = ts[voters] - speed * tq[voters]
        for shift in (0.0, width / 2):
            bins = np.floor((offsets - shift) / width).astype(np.int64)
            # one vote per (bin, query frame): its most similar pair
            keys = (bins - bins.min()) * (int(q.max()) + 1) + q[voters]
            order = np.lexsort((-sim[voters], keys))
            unique_keys, first = np.unique(keys[order], return_index=True)
            voted, picked = unique_keys // (int(q.max()) + 1), voters[order[first]]
            # specific pairs pin a line down: through a still stretch (a page, a tripod shot) every
            # offset within it collects the same similarities, and the one a specific pair also lies
            # on is the alignment (a bonus of `SPECIFIC_BONUS` per unit of specificity)
            weights = np.bincount(voted, weights=sim[picked] + SPECIFIC_BONUS * np.clip(spec[picked], 0, 1))
            if speed != 1.0:
                # a slope is measured by three stored frames or more: through two, every speed within
                # the tolerance fits (2 s of a scene in a compilation against a longer excerpt of it)
                stored = np.unique(np.stack([voted, np.round(ts[picked] * 1000)]), axis=1)
                measured = np.bincount(stored[0].astype(np.int64), minlength=len(weights))
                weights[measured < params.min_pairs] = 0
            k = int(np.argmax(weights))
            weight = float(weights[k]) / (1.0 if speed == 1.0 else SPEED_MARGIN)
            if best is None or weight > best[0] + 1e-9:
                best = (weight, speed, (k + int(bins.min()) + 0.5) * width + shift)
    if best is None or best[0] < params.min_pairs * params.pair:
        return None
    _, speed, offset = best
    near = rows[np.abs(ts[rows] - (speed * tq[rows] + offset)) <= width]
    if len(near) < params.min_pairs:
        return None
    # refine the offset to the inliers' median weighted towards the most similar and the specific pairs
    # (`descriptor_place.placing`), then keep one pair (the most similar) per query frame
    offset = weighted_median(ts[near] - speed * tq[near], placing(sim[near], spec[near]))
    near = rows[np.abs(ts[rows] - (speed * tq[rows] + offset)) <= params.tolerance]
    order = near[np.lexsort((-sim[near], q[near]))]
    _, first = np.unique(q[order], return_index=True)
    return Line(speed, offset, tuple(int(r) for r in order[first]))


def _frames(rows: Sequence[int], tq: F64, sim: F64) -> list[tuple[float, float]]:
    """A run's pairs as (query time, similarity)."""
    return [(float(tq[r]), float(sim[r])) for r in rows]


def _target_span(s: Segment) -> tuple[float, float]:
    return (min(s.target_start, s.target_end), max(s.target_start, s.target_end))
