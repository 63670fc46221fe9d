"""The picture check of descriptor matches (`core.descriptor_match.Verifier`): the query's and a
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
from evidence.core.types import MediaKind
from evidence.media.image.local_features import Points, mapped, points
from evidence.workspace import Workspace

CHECKS_PER_LOOKUP = 12
"""Candidate runs checked per lookup (each decodes a few frames of the candidate: about 0.1-0.3 s)."""


@dataclass(slots=True)
class QueryPictures:
    """Where the query's own frames come from: its file and geometry, and the worker that decodes."""

    ws: Workspace
    worker: Worker
    path: str
    border: dict[str, int] | None
    region: dict[str, int] | None
    cache: dict[float, Points] = field(default_factory=dict)

    @classmethod
    def of(cls, ws: Workspace, worker: Worker, path: str, summary: dict[str, Any]) -> QueryPictures:
        return cls(ws, worker, path, summary.get("border"), summary.get("footage_region"))

    def at(self, times: Sequence[float]) -> list[Points | None]:
        """The query's points at these times (decoded once each)."""
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
                    str(self.query.ws.store.path_for(sha)),
                    [t for _, t in pairs],
                    summary.get("border"),
                    summary.get("footage_region"),
                    timeout=base_timeout(),
                )
            )
        except WorkerFailure:
            return []  # a frame that cannot be decoded now is not evidence either way
        # both whole pictures: a channel's graphics or a programme's studio may sit at the same pixels
        overlays = self.query.region is None and summary.get("footage_region") is None
        counts = []
        for a, (_, t) in zip(mine, pairs, strict=True):
            b = theirs.get(t)
            counts.append(
                0
                if a is None or b is None
                else mapped(a, points(b, mirrored=False), overlays_possible=overlays)
            )
        return counts
