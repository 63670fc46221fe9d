"""How PDQ's and the descriptors' verdicts combine: which PDQ matches on quarters of the picture stand
beside the copy-detection descriptors (shared graphics, a programme frame with its ticker or a
channel's logo and bar, match one quarter of two unrelated clips as well as a large logo leaves one
quarter of a copy, so one quarter alone joins no cluster unless the descriptors found the match too),
and the one verdict per candidate kept from both."""

from __future__ import annotations

from dataclasses import replace

import pytest

from evidence.core.matching import ItemMatch, Segment
from evidence.core.merge import CLOSE, CORROBORATES, VOUCHES, corroborated, merge_matches, vouched
from evidence.core.names import RelationKind


def _match(
    item: int,
    kind: RelationKind = RelationKind.DUPLICATE,
    score: float = 1.0,
    *,
    pdq: bool = True,
    via: tuple[str, ...] = (),
) -> ItemMatch:
    """A match as PDQ (frame distances in `closest`) or the descriptors (`similar`) report it."""
    return ItemMatch(
        item_id=item,
        classification=kind,
        score=score,
        query_share=score,
        target_share=score,
        offsets=(0.0,),
        segments=(Segment(0, 1, 0, 1),),
        closest=((0.0, 0.0, 3),) if pdq else (),
        matched_frames=3,
        via=via or (("canonical",) if pdq else ("sscd",)),
        similar=() if pdq else ((0.0, 0.0, 0.9),),
    )


def _pdq(item: int, *via: str) -> ItemMatch:
    return _match(item, via=via)


def _kinds(found: list[ItemMatch]) -> dict[int, RelationKind]:
    return {m.item_id: m.classification for m in found}


def test_one_quarter_alone_is_suggested_as_partial_unless_the_descriptors_found_it() -> None:
    one, two, whole, found_too = (
        _pdq(1, "bottom-right"),
        _pdq(2, "top-left", "top-right"),
        _pdq(3, "canonical"),
        _pdq(4, "top-left"),
    )
    alike = {1: CORROBORATES + 0.1, 2: CORROBORATES + 0.1, 4: CORROBORATES + 0.1}
    kinds = _kinds(corroborated([one, two, whole, found_too], [_pdq(4)], alike, described={1, 2, 3, 4}))
    assert kinds == {
        1: RelationKind.PARTIAL,  # three quarters differ: a shared graphic, or a copy under a large logo
        2: RelationKind.DUPLICATE,  # two quarters (a caption box across the bottom)
        3: RelationKind.DUPLICATE,  # the whole picture
        4: RelationKind.DUPLICATE,  # the descriptors saw the copy too
    }


def test_a_whole_picture_that_agrees_only_loosely_beside_a_quarter_is_the_quarters_match() -> None:
    """Two unrelated document decks under one channel's logo and bar: the bar's quarter 2 bits apart,
    the pages (lines of type PDQ cannot read) 28 bits, within the threshold; the descriptors rate them
    alike (the same graphics, the same page layout) but found no copy (the picture check refused it).
    A whole picture that agrees closely still stands on its own."""
    loose = replace(_pdq(1, "bottom-right", "canonical"), whole_distance=CLOSE + 12)
    close = replace(_pdq(2, "bottom-right", "canonical"), whole_distance=CLOSE - 10)
    found_too = replace(_pdq(3, "bottom-right", "canonical"), whole_distance=CLOSE + 12)
    two_quarters = replace(_pdq(4, "bottom-right", "bottom-left", "canonical"), whole_distance=CLOSE + 12)
    alike = dict.fromkeys((1, 2, 3, 4), CORROBORATES + 0.2)
    kinds = _kinds(corroborated([loose, close, found_too, two_quarters], [_pdq(3)], alike, {1, 2, 3, 4}))
    assert kinds == {
        1: RelationKind.PARTIAL,
        2: RelationKind.DUPLICATE,
        3: RelationKind.DUPLICATE,
        4: RelationKind.DUPLICATE,
    }
    unlike = dict.fromkeys((1, 2), CORROBORATES - 0.1)
    assert _kinds(corroborated([loose, close], [], unlike, {1, 2})) == {2: RelationKind.DUPLICATE}


def test_quarters_the_descriptors_see_no_likeness_in_are_dropped_and_undescribed_items_keep_pdq() -> None:
    one, two = _pdq(1, "bottom-right"), _pdq(2, "top-left", "top-right")
    unlike = {1: CORROBORATES - 0.1, 2: CORROBORATES - 0.1}
    assert corroborated([one, two], [], unlike, described={1, 2}) == []
    # items analysed before descriptors existed: PDQ's verdict stands
    assert _kinds(corroborated([one, two], [], {}, described=set())) == {
        1: RelationKind.DUPLICATE,
        2: RelationKind.DUPLICATE,
    }


def test_merging_keeps_the_stronger_verdict_and_both_kinds_of_evidence() -> None:
    by_hash = [_match(1, RelationKind.PARTIAL, 0.4), _match(2, RelationKind.DUPLICATE, 0.9)]
    by_descriptor = [
        _match(1, RelationKind.DUPLICATE, 0.95, pdq=False),
        _match(3, RelationKind.PARTIAL, 0.2, pdq=False),
    ]
    merged = {m.item_id: m for m in merge_matches(by_hash, by_descriptor)}
    assert merged[1].classification == RelationKind.DUPLICATE
    assert merged[1].closest and merged[1].similar
    assert merged[1].via == ("canonical", "sscd")
    assert merged[2].classification == RelationKind.DUPLICATE and not merged[2].similar
    assert merged[3].classification == RelationKind.PARTIAL


def _unconfirmed(item: int, segment: Segment) -> ItemMatch:
    """A descriptor match suggested as `partial` because the pictures did not confirm it."""
    return replace(
        _match(item, RelationKind.PARTIAL, pdq=False),
        segments=(segment,),
        unconfirmed=RelationKind.DUPLICATE,
    )


def _pdq_at(item: int, *segments: Segment) -> ItemMatch:
    return replace(_pdq(item, "bottom-left"), classification=RelationKind.PARTIAL, segments=segments)


def test_pdq_on_the_same_alignment_confirms_what_the_pictures_could_not() -> None:
    # a copy under a large opaque box: the descriptors see 0-12 s at offset 0; PDQ's uncovered quarter
    # matched 2-5 s and 8-11 s of it
    described = _unconfirmed(1, Segment(0.0, 12.0, 0.0, 12.0))
    [confirmed] = vouched(
        [_pdq_at(1, Segment(2.0, 5.0, 2.0, 5.0), Segment(8.0, 11.0, 8.0, 11.0))], [described], 0.75
    )
    assert confirmed.classification == RelationKind.DUPLICATE and confirmed.unconfirmed is None
    merged = merge_matches([_pdq_at(1, Segment(2.0, 5.0, 2.0, 5.0))], [confirmed])
    assert [m.classification for m in merged] == [RelationKind.DUPLICATE]


@pytest.mark.parametrize(
    "pdq",
    [
        _pdq_at(1, Segment(2.0, 8.0, 7.0, 13.0)),  # the same item at another moment (5 s apart)
        _pdq_at(1, Segment(2.0, 2.0 + VOUCHES - 0.5, 2.0, 2.0 + VOUCHES - 0.5)),  # too short to vouch
        _pdq_at(1, Segment(13.0, 20.0, 13.0, 20.0)),  # beside the descriptors' run, not on it
        _pdq_at(2, Segment(0.0, 12.0, 0.0, 12.0)),  # another item
    ],
    ids=["other-moment", "too-short", "beside", "other-item"],
)
def test_pdq_elsewhere_confirms_nothing(pdq: ItemMatch) -> None:
    described = _unconfirmed(1, Segment(0.0, 12.0, 0.0, 12.0))
    assert vouched([pdq], [described], 0.75) == [described]


def test_a_slower_copy_is_confirmed_along_its_slope() -> None:
    # the copy plays at half speed: 10 query seconds show 5 target seconds; PDQ saw 4-8 s of the query
    described = _unconfirmed(1, Segment(0.0, 10.0, 1.0, 6.0))
    [confirmed] = vouched([_pdq_at(1, Segment(4.0, 8.0, 3.0, 5.0))], [described], 0.75)
    assert confirmed.classification == RelationKind.DUPLICATE
