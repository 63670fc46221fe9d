"""Use case: `evidence analyze`, and the step `evidence add` takes after preserving each new file: analyse
the original in the worker (`evidence.analysis.pipeline`), then look the item up among the catalogued
ones and record what it matches as suggested relations (`evidence.matching.match`)."""

from __future__ import annotations

from collections.abc import Callable

from evidence import faults
from evidence.analysis.options import AnalysisOptions
from evidence.analysis.pipeline import AnalysisOutcome, analyse, select_items
from evidence.analysis.queue import JobQueue
from evidence.analysis.worker import Worker
from evidence.catalogue.queries import resolve_ref
from evidence.core.types import AnalysisStatus, MediaKind
from evidence.matching.match import FoundMatch, match_new_item
from evidence.workspace import Workspace


def analyse_and_match(
    ws: Workspace,
    worker: Worker,
    item_id: int,
    *,
    actor: str,
    options: AnalysisOptions | None = None,
    match: bool = True,
    matching: Callable[[], None] | None = None,
    queue: JobQueue | None = None,
) -> tuple[AnalysisOutcome, list[FoundMatch]]:
    """Analyse one item, then (unless `match` is off) match it; `matching` is told when matching starts.
    With a `queue`, hand both to the workers instead: the outcome is `pending`, nothing found yet."""
    if queue is not None:
        return queued(ws, queue, item_id, actor=actor, options=options, match=match), []
    outcome = analyse(ws, worker, item_id, actor=actor, options=options)
    faults.checkpoint("suggest")
    if not match:
        return outcome, []
    if matching is not None:
        matching()
    return outcome, match_new_item(ws, outcome, actor=actor, worker=worker)


def queued(
    ws: Workspace,
    queue: JobQueue,
    item_id: int,
    *,
    actor: str,
    options: AnalysisOptions | None,
    match: bool,
) -> AnalysisOutcome:
    quick = options is not None and options.quick
    _job, item = queue.submit(ws, item_id, actor=actor, quick=quick, match=match)
    return AnalysisOutcome(item_id, item.sha256, AnalysisStatus.pending(), MediaKind(item.kind))


def analyze_items(
    ws: Workspace, refs: list[str], *, pending: bool, failed: bool, everything: bool, actor: str
) -> list[AnalysisOutcome]:
    """(Re-)analyse the items named and chosen, each followed by matching; idempotent."""
    with ws.db.read() as session:
        ids = [resolve_ref(session, ref).id for ref in refs]
    chosen = select_items(ws, refs_ids=ids, pending=pending, failed=failed, everything=everything)
    with Worker() as worker:
        return [analyse_and_match(ws, worker, item_id, actor=actor)[0] for item_id in chosen]
