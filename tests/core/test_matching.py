"""The item-level matching rule on synthetic frame hits."""

from __future__ import annotations

import random
from dataclasses import replace

from evidence.core.frames import QueryRecord
from evidence.core.matching import FrameHit, MatchParams, Target, match_items

FPS = 15


def _query(seconds: float, informative: bool = True) -> list[QueryRecord]:
    return [QueryRecord(i / FPS, informative) for i in range(int(seconds * FPS))]


def _target(item_id: int, seconds: int) -> Target:
    return Target(item_id, tuple((float(t), (("canonical", bytes(32)),)) for t in range(seconds)))


def _aligned_hits(
    frames: list[QueryRecord], item_id: int, offset: float, q_from: float, q_to: float, target_len: int
) -> list[FrameHit]:
    """Stored frames at whole seconds hit the query frame nearest to (t - offset)."""
    hits = []
    for t in range(target_len):
        q_t = t - offset
        if q_from <= q_t <= q_to:
            q = min(range(len(frames)), key=lambda i: abs(frames[i].t - q_t))
            hits.append(FrameHit(q, item_id, float(t), 8))
    return hits


def test_a_full_copy_is_a_duplicate() -> None:
    frames = _query(30)
    hits = _aligned_hits(frames, 7, 0.0, 0, 30, 30)
    [m] = match_items(frames, hits, {7: _target(7, 30)})
    assert m.classification == "duplicate" and m.query_share >= 0.95 and m.target_share >= 0.95
    assert m.offsets == (0.0,)


def test_an_excerpt_and_its_source_point_both_ways() -> None:
    frames = _query(10)  # the query is seconds 12..22 of a 30 s source
    hits = _aligned_hits(frames, 3, 12.0, 0, 10, 30)
    [m] = match_items(frames, hits, {3: _target(3, 30)})
    assert m.classification == "excerpt-of" and m.offsets == (12.0,)
    assert m.segments[0].target_start == 12.0 and abs(m.segments[0].query_start) < 0.1
    longer = _query(40)  # the query adds a 10 s intro to a 30 s source
    hits = _aligned_hits(longer, 4, -10.0, 10, 40, 30)
    [m] = match_items(longer, hits, {4: _target(4, 30)})
    assert m.classification == "contains" and m.offsets == (-10.0,)


def test_a_compilation_matches_each_source_as_partial_with_its_offset() -> None:
    frames = _query(24)  # 3 pieces of 8 s from three 30 s sources
    targets = {i: _target(i, 30) for i in (1, 2, 3)}
    hits = (
        _aligned_hits(frames, 1, 5.0, 0, 7.9, 30)
        + _aligned_hits(frames, 2, 2.0, 8, 15.9, 30)
        + _aligned_hits(frames, 3, -4.0, 16, 23.9, 30)
    )
    found = {m.item_id: m for m in match_items(frames, hits, targets)}
    assert set(found) == {1, 2, 3}
    assert all(m.classification == "partial" for m in found.values())
    assert found[1].offsets == (5.0,) and found[2].offsets == (2.0,) and found[3].offsets == (-4.0,)


def test_scattered_coincidences_are_not_a_match() -> None:
    rng = random.Random(4)
    frames = _query(30)
    hits = [FrameHit(rng.randrange(len(frames)), 9, float(rng.randrange(60)), 30) for _ in range(12)]
    assert match_items(frames, hits, {9: _target(9, 60)}) == []


def test_hits_beyond_the_threshold_and_on_uninformative_frames_count_for_nothing() -> None:
    frames = _query(30, informative=False)
    hits = _aligned_hits(frames, 7, 0.0, 0, 30, 30)
    assert match_items(frames, hits, {7: _target(7, 30)}) == []
    frames = _query(30)
    far = [FrameHit(h.query, h.item_id, h.target_t, 40) for h in _aligned_hits(frames, 7, 0.0, 0, 30, 30)]
    assert match_items(frames, far, {7: _target(7, 30)}) == []


def test_frames_that_hit_many_items_are_common_and_ignored() -> None:
    frames = _query(3)  # a bumper: the same 3 s card at the start of many unrelated items
    targets = {i: _target(i, 30) for i in range(10)}
    hits = [h for i in range(10) for h in _aligned_hits(frames, i, 0.0, 0, 3, 30)]
    assert match_items(frames, hits, targets, MatchParams(common_items=6)) == []


def test_a_still_matches_the_video_it_was_taken_from() -> None:
    still = [QueryRecord(0.0, True)]
    [m] = match_items(still, [FrameHit(0, 5, 17.0, 12, "rotate90")], {5: _target(5, 40)})
    assert m.classification == "excerpt-of" and m.closest[0] == (0.0, 17.0, 12) and m.via == ("rotate90",)


def test_many_copies_of_the_same_footage_are_not_common() -> None:
    frames = _query(30)
    targets = {i: _target(i, 30) for i in range(10)}
    hits = [h for i in range(10) for h in _aligned_hits(frames, i, 0.0, 0, 30, 30)]
    same_footage = dict.fromkeys(range(10), 0)  # ten known copies of one video
    found = match_items(frames, hits, targets, MatchParams(common_items=6), same_footage)
    assert len(found) == 10 and {m.classification for m in found} == {"duplicate"}


def _still_hits(
    frames: list[QueryRecord], item_id: int, q_from: float, q_to: float, stored: int
) -> list[FrameHit]:
    """A still scene: every query frame in [q_from, q_to) hits every stored frame alike."""
    return [
        FrameHit(q, item_id, float(t), 8)
        for q, f in enumerate(frames)
        if q_from <= f.t < q_to
        for t in range(stored)
    ]


def test_two_seconds_of_a_still_scene_do_not_contain_or_cover_the_whole_scene() -> None:
    # a compilation borrows 2 s (at 4-6 s) of a 10 s tripod shot; and a 10 s tripod shot against the
    # 2 s it lends a 12 s compilation: one moment can show one moment, not all of them
    compilation = _query(12)
    found = match_items(compilation, _still_hits(compilation, 5, 4, 6, 10), {5: _target(5, 10)})
    assert all(m.classification not in ("contains", "duplicate", "excerpt-of") for m in found), found
    still = _query(10)
    hits = [FrameHit(q, 6, t, 8) for q in range(len(still)) for t in (4.0, 5.0)]
    found = match_items(still, hits, {6: _target(6, 12)})
    assert all(m.classification not in ("contains", "duplicate", "excerpt-of") for m in found), found


def test_a_sped_up_copy_still_lines_up() -> None:
    frames = _query(16)  # 20 s of source played in 16 s: the offset drifts along the copy
    hits = [
        FrameHit(min(range(len(frames)), key=lambda i: abs(frames[i].t - t / 1.25)), 8, float(t), 8)
        for t in range(20)
    ]
    [m] = match_items(frames, hits, {8: _target(8, 20)})
    assert m.classification == "duplicate", m


def test_the_matcher_version_fits_where_relations_record_it() -> None:
    # PostgreSQL refuses a longer value (SQLite would store it): every suggestion would fail there
    from evidence.catalogue.models import Relation
    from evidence.core.matching import MATCHER_VERSION

    assert len(MATCHER_VERSION) <= Relation.__table__.c.matcher.type.length


def _still_piece(seconds: float, piece: tuple[float, float]) -> list[QueryRecord]:
    """A query whose frames in `piece` show one still picture and whose other frames are unrelated
    pictures, every one different (a compilation with a 2 s piece of a tripod shot)."""
    rng = random.Random(5)
    frames = []
    for i in range(int(seconds * FPS)):
        t = i / FPS
        value = bytes(32) if piece[0] <= t < piece[1] else rng.randbytes(32)
        frames.append(QueryRecord(t, True, (("canonical", value),)))
    return frames


def test_a_two_second_piece_of_a_still_scene_does_not_contain_a_longer_clip_of_it() -> None:
    # every stored frame of a 3 s still clip (0, 1, 2 s) hits every frame of the 2 s piece: counted in
    # stored frames the piece holds all of the clip, counted in seconds it holds two thirds
    frames = _still_piece(8, (2.0, 4.0))
    still = [i for i, f in enumerate(frames) if 2.0 <= f.t < 4.0]
    hits = [FrameHit(q, 9, float(t), 0) for q in still for t in range(3)]
    stored = tuple((float(t), (("canonical", bytes(32)),)) for t in range(3))
    found = match_items(frames, hits, {9: Target(9, stored, duration=3.0)})
    assert all(m.classification != "contains" for m in found)
    # the piece is all of a clip that lasts 2.05 s: it does contain that one
    [whole] = match_items(frames, hits, {9: Target(9, stored, duration=2.05)})
    assert whole.classification == "contains" and whole.target_share >= 0.85


def test_a_copy_that_runs_past_the_last_stored_frame_shows_the_whole_clip() -> None:
    # the query shows all 2.9 s of a clip whose last stored frame is at 2 s: the query frames after the
    # last hit continue the same shot (neighbours within a few bits), so its last second counts
    rng = random.Random(6)
    base = rng.randbytes(32)
    frames = []
    for i in range(int(8 * FPS)):
        t = i / FPS
        inside = 3.0 <= t < 5.9
        value = (
            bytes(b ^ (1 if j == i % 32 else 0) for j, b in enumerate(base)) if inside else rng.randbytes(32)
        )
        frames.append(QueryRecord(t, True, (("canonical", value),)))
    hits = [
        FrameHit(min(range(len(frames)), key=lambda i: abs(frames[i].t - 3.0 - t)), 4, float(t), 2)
        for t in range(3)
    ]
    stored = tuple((float(t), (("canonical", base),)) for t in range(3))
    [m] = match_items(frames, hits, {4: Target(4, stored, duration=2.9)})
    assert m.classification == "contains" and m.target_share >= 0.95


def test_a_match_records_how_close_its_whole_picture_hashes_came() -> None:
    """Beside a quarter that matches closely (a channel's bar over two clips), the whole picture's hits
    are kept apart: how close the closest of them came is what says whether they vouch on their own."""
    frames = _query(10)
    quarter = [replace(h, distance=2, via="bottom-right") for h in _aligned_hits(frames, 5, 0.0, 0, 10, 10)]
    whole = [replace(h, distance=28) for h in _aligned_hits(frames, 5, 0.0, 0, 10, 10)[::3]]
    target = Target(
        5, tuple((float(t), (("canonical", bytes(32)), ("bottom-right", bytes(32)))) for t in range(10))
    )
    [m] = match_items(frames, quarter + whole, {5: target})
    assert set(m.via) == {"bottom-right", "canonical"} and m.whole_distance == 28
    [m] = match_items(frames, quarter, {5: target})
    assert m.via == ("bottom-right",) and m.whole_distance is None
