"""The picture check of descriptor matches (`core.descriptor_checks.Verifier`): the query's and a
candidate's frames at the aligned moments, decoded in the analysis worker as matching describes them
(border off, cut to the footage region), compared point by point in this process
(`media.image.local_features`). Bounded per lookup: the most similar candidates are checked first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.analysis import jobs
from evidence.analysis.pipeline import base_timeout
from evidence.analysis.worker import Worker, WorkerFailure
from evidence.catalogue.models import Item
from evidence.core.descriptor_match import DescriptorParams
from evidence.core.types import MediaKind
from evidence.media.image.local_features import Points, closest, mapped, points
from evidence.workspace import Workspace

CHECKS_PER_LOOKUP = 12
"""Candidate runs checked per lookup (each decodes a few frames of the candidate: about 0.1-0.3 s)."""

ENOUGH = DescriptorParams().inliers  # a pair that maps with this many points needs no second look

NEARBY = (-0.5, -0.25, 0.0, 0.25, 0.5)
"""Seconds around the aligned moment where the candidate's frame is looked for: the stored frames are a
second apart, so a line through them puts a moment up to a quarter second off or more, and a slide that
changes or a page that scrolls is another picture by then; the candidate's frame there most like the
query's picture is compared."""


VISUAL = (MediaKind.VIDEO, MediaKind.IMAGE)
"""The kinds of query whose pictures can be checked against a video's frames."""


@dataclass(slots=True)
class QueryPictures:
    """Where the query's own frames come from: its file and geometry, and the worker that decodes. A
    `still` query (a photo, a screenshot) is one picture, whatever the time asked."""

    ws: Workspace
    worker: Worker
    path: str
    border: dict[str, int] | None
    region: dict[str, int] | None
    cache: dict[float, Points] = field(default_factory=dict)
    still: bool = False

    @classmethod
    def of(
        cls, ws: Workspace, worker: Worker, path: str, summary: dict[str, Any], kind: str
    ) -> QueryPictures:
        """The pictures of a query of one of the `VISUAL` kinds (an image is a `still`)."""
        still = kind == MediaKind.IMAGE
        return cls(ws, worker, path, summary.get("border"), summary.get("footage_region"), still=still)

    def at(self, times: Sequence[float]) -> list[Points | None]:
        """The query's points at these times (decoded once each)."""
        if self.still:
            if 0.0 not in self.cache:
                picture = jobs.still_picture(self.worker, self.path, self.border, timeout=base_timeout())
                if picture is not None:
                    self.cache[0.0] = points(picture)
            return [self.cache.get(0.0) for _ in times]
        missing = sorted({t for t in times if t not in self.cache})
        if missing:
            found = jobs.pictures(
                self.worker, self.path, missing, self.border, self.region, timeout=base_timeout()
            )
            self.cache.update((t, points(picture)) for t, picture in found)
        return [self.cache.get(t) for t in times]


class PictureCheck:
    """A `Verifier` over the catalogue: candidates that are stored videos are checked, at most
    `CHECKS_PER_LOOKUP` runs in all."""

    def __init__(self, session: Session, query: QueryPictures, budget: int = CHECKS_PER_LOOKUP) -> None:
        self.session, self.query, self.left = session, query, budget
        self.videos: dict[int, tuple[str, dict[str, Any]] | None] = {}

    def _video(self, item_id: int) -> tuple[str, dict[str, Any]] | None:
        if item_id not in self.videos:
            row = self.session.execute(
                select(Item.sha256, Item.kind, Item.summary).where(Item.id == item_id)
            ).first()
            known = row is not None and row.kind == MediaKind.VIDEO.value
            self.videos[item_id] = (row.sha256, row.summary or {}) if known and row is not None else None
        return self.videos[item_id]

    def __call__(self, item_id: int, pairs: Sequence[tuple[float, float]]) -> list[int]:
        video = self._video(item_id)
        if video is None or not pairs or self.left <= 0:
            return []
        self.left -= 1
        sha, summary = video
        try:
            mine = self.query.at([q for q, _ in pairs])
            theirs = dict(
                jobs.pictures(
                    self.query.worker,
                    str(self.query.ws.store.local_file(sha)),
                    sorted({m for _, t in pairs for m in _around(t)}),
                    summary.get("border"),
                    summary.get("footage_region"),
                    timeout=base_timeout(),
                )
            )
        except WorkerFailure:
            return []  # a frame that cannot be decoded now is not evidence either way
        # both whole pictures: a channel's graphics or a programme's studio may sit at the same pixels
        overlays = self.query.region is None and summary.get("footage_region") is None
        return [
            0 if a is None else _count(a, t, theirs, overlays) for a, (_, t) in zip(mine, pairs, strict=True)
        ]


def _count(query: Points, t: float, theirs: dict[float, Any], overlays: bool) -> int:
    """The points mapped between the query's picture and the candidate's at the aligned moment `t`,
    and failing that the candidate's frame near it (`NEARBY`) most like the query's at a glance."""

    def check(picture: Any) -> int:
        return mapped(query, points(picture, mirrored=False), overlays_possible=overlays)

    at = theirs.get(_around(t, (0.0,))[0])
    count = 0 if at is None else check(at)
    nearby = [theirs[m] for m in _around(t) if m in theirs]
    if count >= ENOUGH or query.picture is None or not nearby:
        return count
    likest = nearby[closest(query.picture, nearby)]
    return count if likest is at else max(count, check(likest))


def _around(t: float, offsets: Sequence[float] = NEARBY) -> list[float]:
    """The candidate's times looked at around the aligned moment `t` (as asked of the worker)."""
    return sorted({max(0.0, round(t + d, 3)) for d in offsets})
