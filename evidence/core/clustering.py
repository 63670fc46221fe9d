"""Which items show the same footage: `dupes` clusters and provenance's copies, from the copy links
(duplicate / excerpt-of / contains relations that stand). Pure: no database, no media.

A `duplicate` link, or a `contains` / `excerpt-of` link where the shared footage is most of both sides
(`PART_OF`), makes two items one footage, both ways. Where the shared footage is only a small part of
the container (an excerpt in its source, 2 s of a scene in a compilation, a clip in a long broadcast),
the link says that the part belongs to the container's footage, not the container to the part's: the
part (with whatever it is one footage with) joins the largest group among its containers, or all of
the largest when several are as large. So an excerpt joins its source's cluster, and a compilation
that happens to hold all of a 2 s excerpt of one of the clips it borrows from does not join that clip's
cluster through it (it is `partial` to the clip itself, which holds far more than it borrowed).

A part that is already one footage with an item holding it as a part (an excerpt of a still scene,
which looks like every moment of it, found whole in the clip it was cut from and as a duplicate of
its other copies) has its group already: that group is the footage it is a part of. Another item
holding the part then holds a piece of that footage, as a compilation does, and is brought into the
group only when it also shares most of both sides' footage with one of its members (`shares_most`:
a `partial` relation that runs over most of both, such as a copy in the other orientation).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from evidence.core.names import RelationKind

PART_OF = 0.5
"""A container whose share of a `contains` link (the part of its footage that the other item shows) is
below this holds the other as a small part of something else. On bench/dupes: excerpts of 2-5 s in
their 10 s source 0.2-0.45, a compilation's 2 s piece 0.17-0.25; longer cuts, re-edits and copies with
an intro and outro hold their source at 0.6 and more."""


@dataclass(frozen=True, slots=True)
class CopyLink:
    """Two items linked as copies; `part` is the side that is only a small part of the other (None when
    the shared footage is most of both)."""

    a: int
    b: int
    part: int | None = None


def copy_link(a: int, b: int, kind: str, evidence: Mapping[str, Any] | None) -> CopyLink:
    """The link of a relation read from `a` to `b` with this kind and the matcher's evidence (its two
    sides' shares); a link without shares (an analyst's) is taken as most of both."""
    if kind not in (RelationKind.CONTAINS, RelationKind.EXCERPT_OF) or not evidence:
        return CopyLink(a, b)
    numbers = _shares(evidence)
    if len(numbers) < 2 or min(numbers) >= PART_OF:
        return CopyLink(a, b)
    return CopyLink(a, b, part=b if kind == RelationKind.CONTAINS else a)


def shares_most(evidence: Mapping[str, Any] | None) -> bool:
    """Whether the matcher's evidence of a relation says the footage shared is most of both sides."""
    numbers = _shares(evidence or {})
    return len(numbers) == 2 and min(numbers) >= PART_OF


def _shares(evidence: Mapping[str, Any]) -> list[float]:
    shares = [evidence.get("query_share"), evidence.get("target_share")]
    return [float(s) for s in shares if isinstance(s, int | float) and not isinstance(s, bool)]


class DisjointSets:
    """Union-find over item ids: `find` gives a set's representative, `join` merges two sets."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        parent = self.parent
        up = parent.setdefault(x, x)
        while up != x:  # path halving
            parent[x] = up = parent[up]
            x, up = up, parent[up]
        return x

    def join(self, x: int, y: int) -> None:
        self.parent[self.find(x)] = self.find(y)


def copy_groups(links: Iterable[CopyLink], alike: Iterable[tuple[int, int]] = ()) -> list[set[int]]:
    """The groups of two or more items that show the same footage (in no particular order); `alike`
    are pairs of items that are no copies but share most of both sides' footage (`shares_most`)."""
    links = list(links)
    core = DisjointSets()
    for link in links:
        if link.part is None:
            core.join(link.a, link.b)
        else:
            core.find(link.a), core.find(link.b)
    root = {x: core.find(x) for x in list(core.parent)}
    size = Counter(root.values())
    parts = [(k.part, k.b if k.part == k.a else k.a) for k in links if k.part is not None]
    # a part that is one footage with an item holding it as a part: its group is the footage it is part of
    held_within = {part for part, whole in parts if root[part] == root[whole]}
    alike_roots = {(core.find(x), core.find(y)) for pair in alike for x, y in (pair, pair[::-1])}
    containers: dict[int, set[int]] = {}
    for part, whole in parts:
        part_root, whole_root = root[part], root[whole]
        if part_root == whole_root or (part in held_within and (whole_root, part_root) not in alike_roots):
            continue
        containers.setdefault(part_root, set()).add(whole_root)
    groups = DisjointSets()
    for part_root, roots in containers.items():
        largest = max(size[r] for r in roots)
        for r in roots:
            if size[r] == largest:
                groups.join(part_root, r)
    members: dict[int, set[int]] = {}
    for x, r in root.items():  # joined through containers, or else as the copy links joined them
        members.setdefault(groups.find(r) if r in groups.parent else r, set()).add(x)
    return [m for m in members.values() if len(m) > 1]
