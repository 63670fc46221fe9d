"""The descriptor matching rule on synthetic frame pairs: lines through (query time, stored time)
pairs become segments at the right offsets and speeds; weak, scattered or common pairs make nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pytest

from evidence.core.descriptor_match import (
    DescribedQuery,
    DescriptorParams,
    Pair,
    match_descriptors,
)
from evidence.core.descriptor_pairs import pairs_of
from evidence.core.names import RelationKind

GRID = 0.5  # the query's described frames, two a second


def query(seconds: float, flat: frozenset[int] = frozenset()) -> DescribedQuery:
    times = tuple(round(i * GRID, 3) for i in range(int(seconds / GRID)))
    return DescribedQuery(times, tuple(i not in flat for i in range(len(times))))


def copy_pairs(
    q: DescribedQuery,
    item: int,
    q_from: float,
    q_to: float,
    offset: float,
    speed: float = 1.0,
    sim: float = 0.985,
) -> list[Pair]:
    """Pairs a real copy gives: each query frame in [q_from, q_to) with the stored frames (one a second)
    nearest the time it shows, the nearest most similar (by default as alike as a re-encode: enough for
    the descriptors alone to join clusters)."""
    out = []
    for row, t in enumerate(q.times):
        if q_from <= t < q_to:
            shown = speed * t + offset
            for stored in (np.floor(shown), np.ceil(shown)):
                if stored >= 0:
                    out.append(Pair(row, item, float(stored), sim - 0.1 * abs(stored - shown)))
    return out


def stored(seconds: int) -> list[float]:
    return [float(t) for t in range(seconds)]


def test_a_whole_copy_is_a_duplicate_at_its_offset() -> None:
    q = query(10)
    [found] = match_descriptors(q, copy_pairs(q, 7, 0, 10, 0.0), {7: stored(10)})
    assert found.item_id == 7
    assert found.classification == RelationKind.DUPLICATE
    assert found.offsets == (0.0,)
    assert found.via == ("sscd",)
    assert found.similar and found.similar[0][2] >= 0.95


def test_a_copy_on_weaker_evidence_is_suggested_as_partial_and_joins_no_cluster() -> None:
    q = query(10)
    [found] = match_descriptors(q, copy_pairs(q, 7, 0, 10, 0.0, sim=0.85), {7: stored(10)})
    assert found.classification == RelationKind.PARTIAL and found.query_share == 1.0


def test_each_two_second_piece_of_a_compilation_is_found_with_its_offset() -> None:
    # 2 s of item 1 (its 3-5 s), 1.5 s of other footage, 2 s of item 2 (its 11-13 s), 2 s of item 3
    q = query(10)
    pairs = copy_pairs(q, 1, 0, 2, 3.0) + copy_pairs(q, 2, 3.5, 5.5, 7.5) + copy_pairs(q, 3, 7, 9, -5.0)
    found = {m.item_id: m for m in match_descriptors(q, pairs, {1: stored(20), 2: stored(20), 3: stored(20)})}
    assert set(found) == {1, 2, 3}
    for item, offset in ((1, 3.0), (2, 7.5), (3, -5.0)):
        assert found[item].classification == RelationKind.PARTIAL
        assert found[item].offsets[0] == pytest.approx(offset, abs=0.5)


def test_a_copy_played_at_another_speed_is_one_slanted_segment() -> None:
    q = query(10)  # the query is the source played at 1.5x: 10 s of it show 15 s
    [found] = match_descriptors(q, copy_pairs(q, 4, 0, 10, 0.0, speed=1.5), {4: stored(15)})
    assert found.classification == RelationKind.DUPLICATE
    [segment] = found.segments
    speed = (segment.target_end - segment.target_start) / (segment.query_end - segment.query_start)
    assert speed == pytest.approx(1.5, abs=0.1)


def test_a_re_edit_with_sections_reordered_covers_both_sides() -> None:
    q = query(12)  # the source's 6-12 s, then its 0-6 s
    pairs = copy_pairs(q, 5, 0, 6, 6.0) + copy_pairs(q, 5, 6, 12, -6.0)
    [found] = match_descriptors(q, pairs, {5: stored(12)})
    assert found.classification == RelationKind.DUPLICATE
    assert sorted(found.offsets) == pytest.approx([-6.0, 6.0], abs=0.5)


def test_weak_or_scattered_pairs_make_no_match() -> None:
    q = query(10)
    weak = copy_pairs(q, 1, 0, 10, 0.0, sim=0.35)  # under the pair threshold
    rng = np.random.default_rng(0)
    scattered = [Pair(row, 2, float(rng.integers(0, 60)), 0.45) for row in range(0, 20, 4)]
    assert match_descriptors(q, weak + scattered, {1: stored(10), 2: stored(60)}) == []


def test_two_frames_in_line_are_not_enough() -> None:
    q = query(10)
    pairs = copy_pairs(q, 1, 0, 1, 3.0)  # two query frames
    assert match_descriptors(q, pairs, {1: stored(20)}) == []


def test_flat_query_frames_and_frames_like_many_items_carry_no_weight() -> None:
    q = query(4, flat=frozenset(range(8)))
    assert match_descriptors(q, copy_pairs(q, 1, 0, 4, 0.0), {1: stored(4)}) == []
    # a bumper: the same 2 s resemble eight unrelated items
    q = query(4)
    bumper = [p for item in range(10, 18) for p in copy_pairs(q, item, 0, 4, 0.0)]
    assert match_descriptors(q, bumper, {item: stored(4) for item in range(10, 18)}) == []
    # ... unless they are known copies of each other (one group)
    groups = {item: 1 for item in range(10, 18)}
    assert len(match_descriptors(q, bumper, {i: stored(4) for i in range(10, 18)}, groups=groups)) == 8


def test_a_lower_pair_threshold_admits_weaker_copies() -> None:
    q = query(10)
    pairs = copy_pairs(q, 1, 0, 10, 0.0, sim=0.55)
    assert match_descriptors(q, pairs, {1: stored(10)}, DescriptorParams(pair=0.6)) == []
    assert match_descriptors(q, pairs, {1: stored(10)}, DescriptorParams(pair=0.4))


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def _footage(seconds: int, rng: np.random.Generator, drift: float = 1.0) -> np.ndarray:
    """Descriptors of changing footage: a random walk on the sphere, one step a second."""
    steps = rng.normal(0, drift, (seconds, 512)).cumsum(axis=0) + rng.normal(0, 4, 512)
    return _unit(steps)


def test_look_alike_scenes_need_near_identical_frames_and_changing_footage_does_not() -> None:
    rng = np.random.default_rng(3)
    stored_times = [float(t) for t in range(12)]
    # look-alike: every query frame about 0.65 like every stored frame, whatever the time
    base = _unit(rng.normal(0, 1, (1, 512)))
    noise = rng.normal(0, 1, (12, 512))
    look_alike = _unit(base + 0.9 * _unit(noise) * 0.9)
    other = _unit(base + 0.9 * _unit(rng.normal(0, 1, (24, 512))) * 0.9)
    q = DescribedQuery(tuple(i * 0.5 for i in range(24)), (True,) * 24)
    pairs = pairs_of(other, q.times, {1: (stored_times, look_alike)})
    sims = [p.similarity for p in pairs]
    assert 0.4 < float(np.median(sims)) < 0.8 and max(p.specificity for p in pairs) < 0.1
    assert match_descriptors(q, pairs, {1: stored_times}) == []
    # changing footage: the query is the stored frames themselves (nearest second), lightly altered
    footage = _footage(12, rng, drift=3.0)
    copy = _unit(footage[[min(11, round(t)) for t in q.times]] + rng.normal(0, 0.008, (24, 512)))
    [found] = match_descriptors(q, pairs_of(copy, q.times, {2: (stored_times, footage)}), {2: stored_times})
    assert found.classification == RelationKind.DUPLICATE


class Pictures:
    """A `Verifier` standing for the catalogue's pictures: each candidate maps (every checked pair
    has `points` matching points) or not, and every call is recorded."""

    def __init__(self, points: dict[int, int]) -> None:
        self.points = points
        self.calls: list[tuple[int, list[tuple[float, float]]]] = []

    def __call__(self, item_id: int, pairs: Sequence[tuple[float, float]]) -> list[int]:
        self.calls.append((item_id, list(pairs)))
        return [self.points.get(item_id, 0)] * len(pairs)


def _flat_copy_pairs(q: DescribedQuery, item: int, sim: float) -> list[Pair]:
    """A slow single shot: the copy is as like the neighbouring moments as the one it shows."""
    return _flat_piece(q, item, 0, 10, 0.0, sim)


def _flat_piece(
    q: DescribedQuery, item: int, q_from: float, q_to: float, offset: float, sim: float
) -> list[Pair]:
    """`_flat_copy_pairs` of the query's stretch [q_from, q_to) only."""
    return [
        Pair(p.query, item, p.target_t, p.similarity, 0.0)
        for p in copy_pairs(q, item, q_from, q_to, offset, sim=sim)
    ]


def test_a_look_alike_run_is_kept_and_joins_only_when_its_pictures_map() -> None:
    q = query(10)
    pairs = _flat_copy_pairs(q, 1, 0.82) + _flat_copy_pairs(q, 2, 0.84)
    assert match_descriptors(q, pairs, {1: stored(10), 2: stored(10)}) == []  # descriptors alone: no
    check = Pictures({1: 120, 2: 12})
    [found] = match_descriptors(q, pairs, {1: stored(10), 2: stored(10)}, verify=check)
    assert found.item_id == 1 and found.classification == RelationKind.DUPLICATE
    assert found.via == ("sscd", "points") and found.offsets == (0.0,)
    # both were checked, the more similar first, on the run's three most similar moments, each against
    # the moment the line puts it at
    assert [item for item, _ in check.calls] == [2, 1]
    for _, checked in check.calls:
        assert len(checked) == DescriptorParams().checks
        assert all(target == pytest.approx(t, abs=0.01) for t, target in checked)


def test_known_copies_of_footage_whose_pictures_mapped_are_not_checked_again() -> None:
    """A compilation's piece of a clip with many catalogued copies: once the pictures of one copy map,
    the lookup's checks go to the other footage it borrows, not to copy after copy of the first."""
    q = query(10)
    copies, other = (1, 2, 3), 9  # three known copies of one clip, and an unrelated look-alike
    pairs = [p for item in copies for p in _flat_copy_pairs(q, item, 0.84 - 0.01 * item)]
    pairs += _flat_copy_pairs(q, other, 0.80)
    times = {item: stored(10) for item in (*copies, other)}
    check = Pictures({1: 120, 2: 120, 3: 120, other: 0})
    found = match_descriptors(q, pairs, times, groups={1: 1, 2: 1, 3: 1, other: other}, verify=check)
    assert {m.item_id for m in found} == set(copies)
    assert all(m.classification == RelationKind.DUPLICATE and "points" in m.via for m in found)
    assert [item for item, _ in check.calls] == [1, other]  # the other copies were vouched for
    # not known to be copies of each other: each is checked on its own
    check = Pictures({1: 120, 2: 120, 3: 120})
    assert len(match_descriptors(q, pairs, times, verify=check)) == 3
    assert [item for item, _ in check.calls] == [1, 2, 3, other]


def test_copies_of_a_look_alike_clip_spend_two_checks_not_the_whole_budget() -> None:
    """Six catalogued copies of a clip of the same template, more alike to the descriptor than the
    query's true source: two of them failing on the pictures settle it for their group there."""
    q = query(10)
    look_alikes, source = (11, 12, 13, 14, 15, 16), 20
    pairs = [p for item in look_alikes for p in _flat_copy_pairs(q, item, 0.90 - 0.01 * (item - 10))]
    pairs += _flat_copy_pairs(q, source, 0.80)
    times = {item: stored(10) for item in (*look_alikes, source)}
    groups = {**{item: 11 for item in look_alikes}, source: source}
    check = Pictures({source: 150})
    [found] = match_descriptors(q, pairs, times, groups=groups, verify=check)
    assert found.item_id == source and found.classification == RelationKind.DUPLICATE
    assert [item for item, _ in check.calls] == [11, 12, source]


class Budget(Pictures):
    """`Pictures` with a lookup's budget: after `left` calls, nothing can be checked (as the catalogue's
    `PictureCheck` answers once its checks are spent)."""

    def __init__(self, points: dict[int, int], left: int) -> None:
        super().__init__(points)
        self.left = left

    def __call__(self, item_id: int, pairs: Sequence[tuple[float, float]]) -> list[int]:
        if self.left <= 0:
            return []
        self.left -= 1
        return super().__call__(item_id, pairs)


def test_a_stretch_no_footage_explains_yet_is_checked_before_look_alikes_of_one_that_mapped() -> None:
    """A compilation of two still shots: once the pictures of the first piece's source map, clips that
    merely look like that piece (four unrelated ones, more alike than the second piece's source) wait,
    and the budget reaches the second piece first."""
    q = query(10)
    first, second, look_alikes = 1, 2, (11, 12, 13, 14)
    pairs = _flat_piece(q, first, 0, 4, 3.0, 0.90) + _flat_piece(q, second, 6, 10, 1.0, 0.80)
    pairs += [p for item in look_alikes for p in _flat_piece(q, item, 0, 4, 5.0, 0.89 - 0.01 * (item - 10))]
    times = {item: stored(10) for item in (first, second, *look_alikes)}
    check = Budget({first: 150, second: 150}, left=3)
    found = match_descriptors(q, pairs, times, verify=check)
    mapped = {m.item_id: m.offsets for m in found if "points" in m.via}
    assert mapped == {first: (pytest.approx(3.0, abs=0.25),), second: (pytest.approx(1.0, abs=0.25),)}
    assert [item for item, _ in check.calls] == [first, second, 11]  # then what is left of the budget


def test_a_run_that_waited_is_checked_once_and_its_other_runs_are_not_checked_again() -> None:
    """A look-alike whose line runs through the mapped piece and, after a gap, through stretch nothing
    explains: the second run is checked at once (it fails), the first waits; looked at again for that
    one, the second is not asked about again (a second failure would count as two of its group's)."""
    q = query(10)
    first, look_alike = 1, 11
    pairs = _flat_piece(q, first, 0, 4, 3.0, 0.90)
    pairs += _flat_piece(q, look_alike, 0, 4, 5.0, 0.89) + _flat_piece(q, look_alike, 7, 10, 5.0, 0.86)
    check = Budget({first: 150}, left=10)
    found = match_descriptors(q, pairs, {first: stored(10), look_alike: stored(10)}, verify=check)
    assert {m.item_id for m in found if "points" in m.via} == {first}
    asked = [(item, tuple(checked)) for item, checked in check.calls]
    assert len(asked) == len(set(asked)) == 3  # the first piece, then each run of the look-alike once


@pytest.mark.parametrize("sim", [0.85, 0.96])
def test_a_convincing_match_below_the_join_level_is_checked_before_it_joins(sim: float) -> None:
    # specific, but not near-identical; 0.96 is as alike as two decks of one slide template with other
    # words on their slides (a near miss of bench/dupes' second tune half)
    q = query(10)
    pairs = copy_pairs(q, 7, 0, 10, 0.0, sim=sim)
    [suggested] = match_descriptors(q, pairs, {7: stored(10)}, verify=Pictures({7: 5}))
    assert suggested.classification == RelationKind.PARTIAL and suggested.via == ("sscd",)
    assert suggested.unconfirmed == RelationKind.DUPLICATE  # what PDQ on its alignment may confirm
    [joined] = match_descriptors(q, pairs, {7: stored(10)}, verify=Pictures({7: 200}))
    assert joined.classification == RelationKind.DUPLICATE and joined.via == ("sscd", "points")


def test_one_mapped_pair_in_three_is_not_enough_and_faint_runs_are_not_checked() -> None:
    q = query(10)
    params = DescriptorParams()

    def one_of_three(item_id: int, pairs: Sequence[tuple[float, float]]) -> list[int]:
        return [params.inliers * 3] + [0] * (len(pairs) - 1)

    assert match_descriptors(q, _flat_copy_pairs(q, 1, 0.82), {1: stored(10)}, verify=one_of_three) == []
    faint = Pictures({1: 500})
    low = params.check_floor - 0.05
    assert match_descriptors(q, _flat_copy_pairs(q, 1, low), {1: stored(10)}, verify=faint) == []
    assert faint.calls == []


@pytest.mark.parametrize("fade", [0.01, 0.08])  # a still scene (slides), a slowly moving one
def test_two_seconds_of_a_scene_in_a_compilation_do_not_contain_a_longer_excerpt_of_it(fade: float) -> None:
    # a 3.5 s excerpt (source 10-13.5 s) against a compilation holding 2 s of that scene (source
    # 11-13 s at its 1.5-3.5 s, stored frames at 2 s and 3 s) among unrelated footage: every frame of the
    # excerpt resembles the two stored frames, and a line at half speed runs through all of them; two
    # stored frames cannot measure a speed, so this is the 2 s the two share, not a slowed copy
    q = query(3.5)
    shows = {2.0: 11.5, 3.0: 12.5}
    pairs = [
        Pair(row, 9, c, round(0.99 - fade * abs((10 + t) - s), 3))
        for row, t in enumerate(q.times)
        for c, s in shows.items()
    ]
    [found] = match_descriptors(q, pairs, {9: stored(14)})
    assert found.classification == RelationKind.PARTIAL
    assert found.offsets[0] == pytest.approx(0.5, abs=0.5)
    [segment] = found.segments
    assert segment.target_end - segment.target_start == pytest.approx(segment.query_end - segment.query_start)


def test_frames_that_many_look_alikes_merely_resemble_still_find_their_copy() -> None:
    # one renderer's landscapes: every frame of the query is 0.5 like ten unrelated items, and 0.96 like
    # its source; the look-alikes do not make its frames common (a bumper's are as like every item)
    q = query(10)
    look_alikes = [
        Pair(row, item, float(row // 2), 0.5) for item in range(20, 30) for row in range(len(q.times))
    ]
    targets = {7: stored(10)} | {item: stored(10) for item in range(20, 30)}
    found = match_descriptors(q, copy_pairs(q, 7, 0, 10, 0.0) + look_alikes, targets)
    copy = {m.item_id: m for m in found}[7]
    assert copy.classification == RelationKind.DUPLICATE
    assert all(m.classification == RelationKind.PARTIAL for m in found if m.item_id != 7)


def test_a_still_scene_measures_no_speed_and_its_few_seconds_in_a_compilation_contain_nothing() -> None:
    # 8.5 s of a tripod shot against a compilation holding 3.5 s of it (stored frames 0-3 s): every frame
    # is like every other (no pair is specific to its moment), so a half-speed line through all of them
    # fits as well as any; only the seconds the two share at normal speed are evidence
    q = query(8.5)
    pairs = [
        Pair(row, 9, float(c), round(0.99 - 0.002 * abs(row - 2 * c), 3), specificity=0.0)
        for row in range(len(q.times))
        for c in range(4)
    ]
    [found] = match_descriptors(q, pairs, {9: stored(14)})
    assert found.classification == RelationKind.PARTIAL
    for segment in found.segments:
        assert segment.target_end - segment.target_start == pytest.approx(
            segment.query_end - segment.query_start
        )


def test_a_piece_offset_is_read_between_the_stored_frames() -> None:
    """The stored frames are a second apart and the query's half a second, so the pairs alone put an
    offset on a half-second grid; the similarities of the stored frames around each moment say where
    between them it lies (a 2 s piece of a compilation at 3.3 s, not 3.0 or 3.5)."""
    q = query(8)
    for offset in (3.3, 3.7, -1.2):
        pairs = []
        for row, t in enumerate(q.times):
            if 2 <= t < 4:
                shown = t + offset
                for stored_t in (np.round(shown) - 1, np.round(shown), np.round(shown) + 1):
                    pairs.append(Pair(row, 9, float(stored_t), 0.96 - 0.2 * (stored_t - shown) ** 2))
        [found] = match_descriptors(q, pairs, {9: stored(12)})
        assert found.offsets[0] == pytest.approx(offset, abs=0.05), offset
        [segment] = found.segments
        assert segment.target_start - segment.query_start == pytest.approx(offset, abs=0.05)


def test_a_piece_of_a_still_page_is_placed_by_the_moment_after_it() -> None:
    """A 2 s piece whose first three frames show a page that stays still from 4 to 8 s of its source
    (every stored frame of the page is as like them as any other: no pair is specific) and whose last
    frame shows the next page (specific to the source's 9 s): through the still stretch every offset
    from -1.5 to +1.5 collects the same similarities, and only the last frame says which is right."""
    q = query(12)
    pairs = []
    for row, t in enumerate(q.times):
        if 5.5 <= t < 7:  # the still page: paired with three of its five identical stored frames
            pairs += [Pair(row, 4, s, 0.998, specificity=0.07) for s in (4.0 if t < 6 else 6.0, 7.0, 5.0)]
        elif t == 7.0:  # the next page, shown at 9 s only
            pairs += [Pair(row, 4, 9.0, 0.998, specificity=0.3), Pair(row, 4, 2.0, 0.70, specificity=0.0)]
    [found] = match_descriptors(q, pairs, {4: stored(10)})
    assert found.classification == RelationKind.PARTIAL
    [segment] = found.segments
    assert (segment.query_start, segment.query_end) == (5.5, 7.0)
    assert found.offsets[0] == pytest.approx(2.0, abs=0.3)


@pytest.mark.parametrize("similarity", [0.65, 0.88])
def test_a_compilation_piece_judged_on_the_stored_side_alone_needs_the_pictures_below_strong_piece(
    similarity: float,
) -> None:
    """A 2 s piece between cuts has no moments of its own, so its pairs' specificity is the stored
    side's alone, which unrelated footage of the same kind (one city's streets) also shows. Below
    `strong_piece` the descriptors do not convince by themselves: the pictures decide."""
    q = query(8)
    pairs = _piece(q, 5, 2, 4, 3.0, similarity)
    found = match_descriptors(q, pairs, {5: stored(10)})
    if similarity >= DescriptorParams().strong_piece:
        assert [m.item_id for m in found] == [5] and found[0].via == ("sscd",)
    else:
        assert found == []

    def maps(item_id: int, frame_pairs: Sequence[tuple[float, float]]) -> list[int]:
        return [120] * len(frame_pairs)

    [checked] = match_descriptors(q, pairs, {5: stored(10)}, verify=maps)  # the pictures map
    assert checked.classification == RelationKind.PARTIAL and "points" in checked.via
    assert checked.offsets[0] == pytest.approx(3.0, abs=0.3)
    # the same pairs judged on both sides convince alone
    judged = [Pair(p.query, p.item_id, p.target_t, p.similarity, specificity=0.3) for p in pairs]
    [alone] = match_descriptors(q, judged, {5: stored(10)})
    assert alone.via == ("sscd",)


def test_a_two_second_piece_does_not_contain_a_clip_it_shows_only_two_thirds_of() -> None:
    # a compilation's 2 s piece (query 3.0-5.0) of a still scene pairs with all three stored frames of
    # a 3 s clip of it (0, 1, 2 s): by stored frames that is all of the clip, by seconds two thirds
    q = query(10)
    pairs = [
        Pair(row, 6, float(t), 0.99 - 0.005 * abs(t - (q.times[row] - 3.0)))
        for row in range(len(q.times))
        if 3.0 <= q.times[row] < 5.0
        for t in range(3)
    ]
    found = match_descriptors(q, pairs, {6: stored(3)}, durations={6: 3.0})
    assert all(m.classification != RelationKind.CONTAINS for m in found)
    [whole] = match_descriptors(q, pairs, {6: stored(3)}, durations={6: 2.0})
    assert whole.classification == RelationKind.CONTAINS


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


def _slide_and_piece() -> tuple[list[float], np.ndarray, DescribedQuery, np.ndarray]:
    """A deck showing one slide for 6 s (stored frames 0-5 alike to within 0.005, frame 4 the most
    like the slide itself) then other footage; a compilation with 2 s of the slide (2-4 s) between
    unrelated footage."""
    rng = np.random.default_rng(7)
    slide = _unit(rng.normal(size=512))
    deck = np.vstack(
        [_unit(slide + (0 if i == 4 else 0.003) * rng.normal(size=512)) for i in range(6)]
        + [_unit(rng.normal(size=512)) for _ in range(4)]
    )
    q = query(7)
    frames = [
        _unit(slide + 0.002 * rng.normal(size=512)) if 2.0 <= t < 4.0 else _unit(rng.normal(size=512))
        for t in q.times
    ]
    return stored(10), deck, q, np.vstack(frames)


def test_a_query_frame_is_paired_with_every_stored_frame_of_a_still_stretch_alike() -> None:
    times, deck, q, frames = _slide_and_piece()
    pairs = pairs_of(frames, q.times, {1: (times, deck)})
    per_frame = {row: sorted(p.target_t for p in pairs if p.query == row) for row in range(4, 8)}
    assert all(targets == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0] for targets in per_frame.values()), per_frame


def test_two_seconds_of_a_slide_are_found_in_a_longer_stretch_of_it() -> None:
    # the most similar stored frame is the same one (4 s) for every frame of the piece: the line takes
    # the pair nearest it instead, so the run walks through the stretch and is not one frame like many
    times, deck, q, frames = _slide_and_piece()
    [found] = match_descriptors(q, pairs_of(frames, q.times, {1: (times, deck)}), {1: times})
    assert found.classification == RelationKind.PARTIAL
    [segment] = found.segments
    assert segment.query_start == 2.0 and segment.query_end == 3.5
    assert segment.target_start >= 0.0 and segment.target_end <= 5.0


def test_footage_beside_a_piece_that_the_line_crosses_is_not_part_of_the_match() -> None:
    # a 5 s clip whose first 2 s are a compilation's piece (0.93 alike); its next 3 s happen to lie on
    # the same line through the compilation's next footage, at 0.6 (another town of the same renderer)
    q = query(5)
    beside = [replace(p, specificity=0.0) for p in copy_pairs(q, 7, 2, 5, 4.0, sim=0.62)]  # look-alike
    pairs = copy_pairs(q, 7, 0, 2, 4.0, sim=0.93) + beside
    [found] = match_descriptors(q, pairs, {7: stored(12)})
    assert found.classification == RelationKind.PARTIAL
    [segment] = found.segments
    assert segment.query_start == 0.0 and segment.query_end == 1.5


def test_a_copy_that_pairs_unevenly_all_along_keeps_its_ends() -> None:
    # frames between the stored ones pair lower (0.5 s off the nearest stored frame): no end is cut
    q = query(10)
    [found] = match_descriptors(q, copy_pairs(q, 7, 0, 10, 0.0, sim=0.75), {7: stored(10)})
    [segment] = found.segments
    assert segment.query_start == 0.0 and segment.query_end == 9.5


def _piece(q: DescribedQuery, item: int, q_from: float, q_to: float, offset: float, sim: float) -> list[Pair]:
    """A 2 s piece between cuts: its pairs' specificity judged on the stored side alone."""
    return [
        Pair(p.query, p.item_id, p.target_t, p.similarity, specificity=0.3, query_judged=False)
        for p in copy_pairs(q, item, q_from, q_to, offset, sim=sim)
    ]


@pytest.mark.parametrize("look_alike_first", [True, False])
def test_a_piece_the_descriptors_alone_find_is_checked_where_another_footage_mapped(
    look_alike_first: bool,
) -> None:
    """A compilation's 2 s piece of a hand-held street: the source needs its pictures (its pairs are
    below `strong_piece`) and they map; another clip of the same renderer's streets is as alike to the
    descriptor as a piece needs to convince alone. One stretch shows one footage: the look-alike is
    checked too, and its pictures do not map (whichever of the two is looked at first)."""
    q = query(10)
    source, look_alike = 1, 2
    strong = DescriptorParams().strong_piece
    # the most similar candidate is looked at first
    sims = (strong - 0.05, strong + 0.04) if look_alike_first else (strong + 0.1, strong + 0.04)
    pairs = _piece(q, source, 2, 4, 3.0, sims[0]) + _piece(q, look_alike, 2, 4, 6.0, sims[1])
    times = {source: stored(10), look_alike: stored(10)}
    alone = match_descriptors(q, pairs, times)  # no pictures: the descriptors' word stands
    assert look_alike in {m.item_id for m in alone}
    check = Pictures({source: 150, look_alike: 4})
    found = match_descriptors(q, pairs, times, verify=check)
    assert [m.item_id for m in found] == [source] and found[0].offsets[0] == pytest.approx(3.0, abs=0.3)
    # where its pictures map too (two footages side by side), it stays
    both = match_descriptors(q, pairs, times, verify=Pictures({source: 150, look_alike: 150}))
    assert {m.item_id for m in both} == {source, look_alike}


def test_a_piece_is_checked_where_another_footage_is_all_but_identical() -> None:
    """The same, where the other footage needs no pictures: its frames are all but identical to the
    query's (`strong_flat`), so the stretch is known to show it, and the look-alike alone is checked."""
    q = query(10)
    source, look_alike = 1, 2
    pairs = _piece(q, source, 2, 4, 3.0, 0.99) + _piece(q, look_alike, 2, 4, 6.0, 0.85)
    check = Pictures({look_alike: 4})
    found = match_descriptors(q, pairs, {source: stored(10), look_alike: stored(10)}, verify=check)
    assert [m.item_id for m in found] == [source] and found[0].via == ("sscd",)
    assert [item for item, _ in check.calls] == [look_alike]


def test_a_specific_look_alike_run_is_checked_where_another_footage_is_known() -> None:
    """One stretch shows one footage also when the look-alike's run is specific on both sides (no cut
    between a compilation's filler and its piece, so the query side could judge it): where the source's
    frames are all but identical, or its pictures mapped, the look-alike is checked on its pictures and
    dropped; with no other footage there, the same run is taken on the descriptors' word."""
    q = query(10)
    source, look_alike = 1, 2
    specific = [
        Pair(p.query, p.item_id, p.target_t, p.similarity, specificity=0.3)
        for p in copy_pairs(q, look_alike, 2, 5, 6.0, sim=0.75)
    ]
    times = {source: stored(10), look_alike: stored(10)}
    for source_pairs, pictures in (
        (copy_pairs(q, source, 2, 5, 3.0, sim=0.99), {look_alike: 4}),  # all but identical: no check
        (_piece(q, source, 2, 5, 3.0, 0.6), {source: 150, look_alike: 4}),  # its pictures mapped
    ):
        found = match_descriptors(q, source_pairs + specific, times, verify=Pictures(pictures))
        assert [m.item_id for m in found] == [source]
    [alone] = match_descriptors(q, specific, {look_alike: stored(10)}, verify=Pictures({look_alike: 4}))
    assert alone.item_id == look_alike and alone.via == ("sscd",)


class Moments(Pictures):
    """`Pictures` where a candidate maps only with its frames around given moments (seconds)."""

    def __init__(self, at: dict[int, tuple[float, int]]) -> None:
        super().__init__({})
        self.at = at

    def __call__(self, item_id: int, pairs: Sequence[tuple[float, float]]) -> list[int]:
        self.calls.append((item_id, list(pairs)))
        moment, points = self.at.get(item_id, (-9.0, 0))
        return [points if abs(target - moment) <= 0.5 else 0 for _, target in pairs]


PICTURE = DescribedQuery((0.0,), (True,))  # a photo, a screenshot: one described frame


def _picture_pairs(item: int, similar: dict[float, float], specificity: float = 0.0) -> list[Pair]:
    """A single picture's pairs with a candidate's stored frames (time -> similarity); in a still or
    slow scene no moment is more alike than the others (`specificity` 0)."""
    return [Pair(0, item, t, sim, specificity) for t, sim in similar.items()]


def test_a_picture_is_found_where_its_pictures_map_not_where_it_is_most_alike() -> None:
    """A screenshot of a slow scene resembles its source at three stored moments, the one it shows the
    least; a look-alike clip resembles it more and maps nowhere."""
    look_alike, source = 1, 2
    pairs = _picture_pairs(look_alike, {3.0: 0.90, 4.0: 0.89}) + _picture_pairs(
        source, {1.0: 0.71, 2.0: 0.70, 6.0: 0.66}
    )
    check = Moments({source: (6.0, 85)})
    [found] = match_descriptors(PICTURE, pairs, {1: stored(10), 2: stored(10)}, verify=check)
    assert found.item_id == source and found.classification == RelationKind.EXCERPT_OF
    assert found.offsets == (6.0,) and found.via == ("sscd", "points")
    assert [item for item, _ in check.calls] == [look_alike, source]


def test_a_picture_of_a_still_scene_needs_no_specific_moment_when_its_pictures_map() -> None:
    pairs = _picture_pairs(5, {4.0: 0.80, 5.0: 0.80, 6.0: 0.79})
    [found] = match_descriptors(PICTURE, pairs, {5: stored(10)}, verify=Moments({5: (5.0, 60)}))
    assert found.item_id == 5 and found.offsets == (5.0,)
    assert match_descriptors(PICTURE, pairs, {5: stored(10)}, verify=Moments({})) == []


def test_an_all_but_identical_picture_is_taken_without_its_pictures() -> None:
    pairs = _picture_pairs(5, {4.0: 0.99})
    check = Moments({})
    [found] = match_descriptors(PICTURE, pairs, {5: stored(10)}, verify=check)
    assert found.item_id == 5 and found.via == ("sscd",) and check.calls == []


def test_once_a_picture_is_tied_to_a_footage_its_known_copies_are_not_checked() -> None:
    """Twelve catalogued copies of the footage a screenshot was taken from would spend a lookup's
    checks: the first that maps ties the picture to the footage, and the budget goes on to the rest."""
    copies, other = tuple(range(10, 22)), 30
    pairs = [p for item in copies for p in _picture_pairs(item, {3.0: 0.80 - 0.001 * item})]
    pairs += _picture_pairs(other, {7.0: 0.60})
    times = {item: stored(10) for item in (*copies, other)}
    groups = {**{item: 10 for item in copies}, other: other}
    check = Budget({**{item: 70 for item in copies}, other: 70}, left=3)
    found = match_descriptors(PICTURE, pairs, times, groups=groups, verify=check)
    assert [m.item_id for m in found] == [10, other]
    assert [item for item, _ in check.calls] == [10, other]
