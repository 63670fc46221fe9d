"""The frame of a stored video shown at a time, exactly as decoded, for the parent process: the worker
decodes it (`jobs.exact_frame`), starting from the stored frame at or before the time when there is
one. Used by `evidence frame` (the picture itself) and `evidence tag --at` (its number, time and PDQ);
stills of several moments at once for the report and the web application."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from evidence.analysis import jobs
from evidence.analysis.pipeline import base_timeout
from evidence.analysis.worker import Worker, WorkerFailure
from evidence.catalogue.models import Frame, Item
from evidence.errors import EnvironmentFailure, UsageError
from evidence.workspace import Workspace


def frame_shown_at(ws: Workspace, item: Item, at: float, *, png: bool) -> Any:
    """An `ExactFrame` (evidence.media.video.stills) of video `item` at `at` seconds; a UsageError when
    nothing decodes there, an EnvironmentFailure when the worker fails."""
    with ws.db.read() as session:
        anchor = session.execute(
            select(Frame.idx, Frame.pts)
            .where(Frame.item_id == item.id, Frame.t <= at)
            .order_by(Frame.t.desc())
            .limit(1)
        ).first()
    start = None if anchor is None else (int(anchor[0]), str(anchor[1]))
    try:
        with Worker() as worker:
            found = jobs.exact_frame(
                worker, str(ws.store.local_file(item.sha256)), at, start, timeout=base_timeout(), png=png
            )
    except WorkerFailure as exc:
        raise EnvironmentFailure(
            f"the frame of item {item.id} at {at:g} s could not be decoded: {exc}"
        ) from exc
    if found is None:
        raise UsageError(f"item {item.id} has no decodable frame at {at:g} s")
    return found


def stills_at(
    ws: Workspace, items: dict[int, Item], moments: set[tuple[int, float]]
) -> dict[tuple[int, float], bytes]:
    """Upright JPEGs of moments of videos `(item id, seconds)`, decoded in one analysis worker (a
    video that fails to decode gives none): the report's tagged moments without a thumbnail, the web
    application's aligned frame pairs."""
    wanted: dict[int, list[float]] = {}
    for item_id, t in sorted(moments):
        if items[item_id].kind == "video":
            wanted.setdefault(item_id, []).append(t)
    if not wanted:
        return {}
    out: dict[tuple[int, float], bytes] = {}
    with Worker() as worker:
        for item_id, times in wanted.items():
            try:
                found = jobs.stills(
                    worker, str(ws.store.local_file(items[item_id].sha256)), times, timeout=base_timeout()
                )
            except WorkerFailure:
                continue
            for t, jpeg in found:
                out[(item_id, t)] = jpeg
    return out
