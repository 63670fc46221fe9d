"""Which items show the same footage (`core.clustering`): a small part of an item joins that item's
cluster; the item does not join the part's."""

from __future__ import annotations

from evidence.core.clustering import PART_OF, CopyLink, copy_groups, copy_link, shares_most


def _shares(container: float, part: float = 1.0) -> dict[str, float]:
    return {"query_share": container, "target_share": part}


def test_an_excerpt_joins_its_source_and_a_compilation_holding_it_does_not() -> None:
    source, copy, excerpt, compilation = 1, 2, 3, 4
    links = [
        copy_link(source, copy, "duplicate", _shares(1.0)),
        copy_link(source, excerpt, "contains", _shares(0.3)),
        copy_link(copy, excerpt, "contains", _shares(0.3)),
        # the compilation's 2 s piece holds all of the excerpt: a small part of the compilation
        copy_link(excerpt, compilation, "excerpt-of", _shares(0.2)),
    ]
    assert copy_groups(links) == [{source, copy, excerpt}]


def test_a_longer_cut_joins_the_cluster_of_the_clip_it_mostly_is() -> None:
    links = [copy_link(1, 2, "duplicate", _shares(1.0)), copy_link(3, 1, "contains", _shares(0.7))]
    assert copy_groups(links) == [{1, 2, 3}]


def test_a_part_held_by_equally_large_groups_joins_them_all() -> None:
    # with nothing to tell the source from the compilation, neither is left out
    links = [copy_link(1, 3, "contains", _shares(0.3)), copy_link(2, 3, "contains", _shares(0.2))]
    assert copy_groups(links) == [{1, 2, 3}]


def test_a_part_moves_with_its_own_copies() -> None:
    # an excerpt and its re-encode are one footage; both are held by the source and a compilation
    source, copy, excerpt, excerpt_copy, compilation = 1, 2, 3, 4, 5
    links = [
        copy_link(source, copy, "duplicate", _shares(1.0)),
        copy_link(excerpt, excerpt_copy, "duplicate", _shares(1.0)),
        copy_link(source, excerpt, "contains", _shares(0.3)),
        copy_link(compilation, excerpt_copy, "contains", _shares(0.2)),
    ]
    assert copy_groups(links) == [{source, copy, excerpt, excerpt_copy}]


def test_which_side_is_the_part() -> None:
    assert copy_link(1, 2, "contains", _shares(0.2)) == CopyLink(1, 2, part=2)
    assert copy_link(1, 2, "excerpt-of", _shares(1.0, 0.2)) == CopyLink(1, 2, part=1)
    assert copy_link(1, 2, "contains", _shares(PART_OF)) == CopyLink(1, 2)
    assert copy_link(1, 2, "duplicate", _shares(0.2)) == CopyLink(1, 2)
    # an analyst's link (no matcher evidence) or evidence without shares says nothing about parts
    assert copy_link(1, 2, "contains", None) == CopyLink(1, 2)
    assert copy_link(1, 2, "contains", {"query_share": None, "target_share": 0.1}) == CopyLink(1, 2)


def test_lone_items_and_chains() -> None:
    assert copy_groups([]) == []
    # a 2 s excerpt of a 4 s excerpt of a source: all three are one footage
    links = [copy_link(1, 2, "contains", _shares(0.4)), copy_link(2, 3, "contains", _shares(0.45))]
    assert copy_groups(links) == [{1, 2, 3}]


SOURCE, COPY, EXCERPT, HOLDER = 1, 2, 3, 4


def _still_scene(holder_share: float) -> list[CopyLink]:
    """A still scene: its excerpt looks like every moment of it, so it is a duplicate of one copy and
    found whole in the source; another item holds the excerpt too."""
    return [
        copy_link(SOURCE, COPY, "duplicate", _shares(1.0)),
        copy_link(COPY, EXCERPT, "duplicate", _shares(0.9)),
        copy_link(SOURCE, EXCERPT, "contains", _shares(0.3)),
        copy_link(HOLDER, EXCERPT, "contains", _shares(holder_share)),
    ]


def test_a_compilation_holding_an_excerpt_already_one_with_its_source_stays_out() -> None:
    # the compilation holds a piece of the scene's footage
    links = _still_scene(0.24)
    assert copy_groups(links) == [{SOURCE, COPY, EXCERPT}]
    # items of the scene alike to each other do not bring it in
    assert copy_groups(links, alike=[(SOURCE, COPY), (COPY, EXCERPT)]) == [{SOURCE, COPY, EXCERPT}]


def test_a_holder_that_shares_most_of_its_footage_with_the_group_joins_it() -> None:
    # a copy in the other orientation holds the excerpt and runs over most of the source (`partial`)
    links = _still_scene(0.35)
    assert copy_groups(links, alike=[(SOURCE, HOLDER)]) == [{SOURCE, COPY, EXCERPT, HOLDER}]
    assert copy_groups(links, alike=[(HOLDER, COPY)]) == [{SOURCE, COPY, EXCERPT, HOLDER}]


def test_items_that_share_most_without_a_copy_link_are_no_cluster() -> None:
    assert copy_groups([], alike=[(1, 2)]) == []
    links = [copy_link(1, 2, "duplicate", _shares(1.0))]
    assert copy_groups(links, alike=[(2, 3)]) == [{1, 2}]


def test_which_relations_share_most_of_both_sides() -> None:
    assert shares_most(_shares(0.65, 0.65))
    assert shares_most(_shares(PART_OF, 1.0))
    assert not shares_most(_shares(0.24, 1.0))
    assert not shares_most(None)
    assert not shares_most({"query_share": True, "target_share": 1.0})
