"""The picture checks of descriptor runs (`core.descriptor_match`), and how one lookup spends them.
Pure: the pictures are compared by the caller's `Verifier`.

A run the descriptors alone do not make convincing is checked on its `checks` most similar query frames,
each against the candidate's moment the run's line puts it at; it counts when `mapped` of them show
`inliers` matching points. A lookup has a budget of checks (the caller's), and candidates come most
similar first. Items already known to be copies of each other (a group: relations that join clusters)
show the same footage, so what the pictures said about one of them at a stretch of the query holds for
the others (`Ledger`): once a run of a group maps, its other items' runs within that stretch are taken
as mapped; once two of its items fail there, the rest are not checked there either. So the budget
reaches every footage a compilation borrows instead of going to copy after copy of the first, or to
copy after copy of a look-alike clip (slides of one template).

A stretch of the query shows one footage at a time: once the pictures of one group map there, a run of
another group within that stretch is most likely a look-alike of it (another clip's intro, a deck of the
same template). Such runs wait (`Checks.defer`): the lookup checks them after every other candidate, with
what is left of the budget, so a stretch that no footage explains yet is checked first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Protocol

REFUTED_AFTER = 2  # failed checks of one group at a stretch after which its other items are not checked


class Verifier(Protocol):
    """Checks frame pairs of a candidate on the pictures: for each (query time, candidate time), the
    number of matching points one plane mapping explains (0 when it cannot be checked)."""

    def __call__(self, item_id: int, pairs: Sequence[tuple[float, float]]) -> list[int]: ...


class CheckParams(Protocol):
    @property
    def checks(self) -> int: ...  # frame pairs checked per run
    @property
    def mapped(self) -> int: ...  # how many of them must map
    @property
    def inliers(self) -> int: ...  # with this many matching points
    @property
    def check_floor(self) -> float: ...  # the run's three best pairs average this, or it is not checked
    @property
    def tolerance(self) -> float: ...  # seconds: how far a stretch reaches


class Ledger:
    """What the pictures said during one lookup, per group: the query stretches where a run mapped,
    and those where one failed."""

    def __init__(self, groups: dict[int, int] | None) -> None:
        self.groups = groups or {}
        self.mapped: dict[int, list[tuple[float, float]]] = defaultdict(list)
        self.failed: dict[int, list[tuple[float, float]]] = defaultdict(list)
        # where a run's frames were all but identical (no picture check needed to know the footage)
        self.sure: dict[int, list[tuple[float, float]]] = defaultdict(list)
        self.answers: dict[tuple[int, tuple[tuple[float, float], ...]], bool] = {}  # checks made

    def group(self, item_id: int) -> int:
        return self.groups.get(item_id, item_id)

    def elsewhere(self, group: int, lo: float, hi: float, slack: float) -> bool:
        """Whether another group's footage is known to be over the whole of [lo, hi]: its pictures
        mapped there, or its frames were all but identical to the query's."""
        return any(
            a - slack <= lo and hi <= b + slack
            for known in (self.mapped, self.sure)
            for other, spans in known.items()
            if other != group
            for a, b in spans
        )


class Checks:
    """The picture checks of one candidate's runs."""

    def __init__(
        self,
        item_id: int,
        verify: Verifier | None,
        params: CheckParams,
        ledger: Ledger,
        *,
        defer: bool = False,
    ) -> None:
        self.item_id, self.verify, self.params, self.ledger = item_id, verify, params, ledger
        self.any_mapped = False
        self.defer = defer  # a run within a stretch another group's pictures explain waits (not mapped)
        self.deferred = False  # such a run was met
        self.taken: list[tuple[float, float]] = []  # checked moments of runs taken on the descriptors alone

    def vouch(self, frames: Sequence[tuple[float, float]]) -> None:
        """A run all but identical to the query: its stretch shows this group's footage."""
        if frames:
            self.ledger.sure[self.ledger.group(self.item_id)].append(_extent(frames))

    def take_alone(self, frames: Sequence[tuple[float, float]]) -> bool:
        """Whether a run the descriptors alone find (specific, or a piece from `strong_piece` on) is
        taken without its pictures: not where another group's footage is known to be (a stretch shows
        one footage at a time)."""
        if not frames:
            return False
        lo, hi = _extent(self._chosen(frames))
        if self._elsewhere(lo, hi):
            return False
        self.taken.append((lo, hi))
        return True

    def doubted(self) -> bool:
        """Whether a run taken on the descriptors alone lies where another group's footage is now
        known to be (found after this candidate was looked at): it is looked at again."""
        return any(self._elsewhere(lo, hi) for lo, hi in self.taken)

    def _elsewhere(self, lo: float, hi: float) -> bool:
        return self.ledger.elsewhere(self.ledger.group(self.item_id), lo, hi, self.params.tolerance)

    def _chosen(self, frames: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
        """The run's frames the pictures are checked on: its most similar, in time order."""
        return sorted(sorted(frames, key=lambda f: (-f[1], f[0]))[: self.params.checks])

    def run(self, speed: float, offset: float, frames: Sequence[tuple[float, float]]) -> bool:
        """Whether a run's pictures map; `frames`: its pairs' (query time, similarity)."""
        p = self.params
        if self.verify is None or not frames:
            return False
        top = sorted((s for _, s in frames), reverse=True)[:3]
        if sum(top) / len(top) < p.check_floor:
            return False
        pairs = [(t, max(0.0, speed * t + offset)) for t, _ in self._chosen(frames)]
        lo, hi, slack = pairs[0][0], pairs[-1][0], p.tolerance
        group, asked = self.ledger.group(self.item_id), (self.item_id, tuple(pairs))
        if any(a - slack <= lo and hi <= b + slack for a, b in self.ledger.mapped[group]):
            mapped = True
        elif asked in self.ledger.answers:  # checked in an earlier round of this lookup
            mapped = self.ledger.answers[asked]
        elif sum(a - slack <= hi and lo <= b + slack for a, b in self.ledger.failed[group]) >= REFUTED_AFTER:
            mapped = False
        elif self.defer and self.ledger.elsewhere(group, lo, hi, slack):
            self.deferred, mapped = True, False
        else:
            counts = self.verify(self.item_id, pairs)
            mapped = sum(1 for c in counts if c >= p.inliers) >= min(p.mapped, len(pairs))
            self.ledger.answers[asked] = mapped
            if mapped:  # the whole run's stretch shows this group's footage
                self.ledger.mapped[group].append(_extent(frames))
            else:
                self.ledger.failed[group].append((lo, hi))
        self.any_mapped = self.any_mapped or mapped
        return mapped


def _extent(frames: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """The first and last query time of a run's frames."""
    return min(t for t, _ in frames), max(t for t, _ in frames)
