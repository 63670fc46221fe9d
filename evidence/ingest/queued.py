"""Use case: one queued job, as `evidence worker` runs it (`analysis/queue.py` sends them).

Take the job (its row says running, on this worker, one more attempt), analyse the item unless an
earlier take already recorded its analysis, look it up among the catalogued items, and mark the job
done; an analysis that fails marks it failed with the reason, once (the analysis runs in the isolated
worker process, so a file that crashes or hangs a decoder fails there and never takes this process
down). Every step is safe to repeat: the queue delivers a job again when the process running it was
lost, and the next take goes on from where the row and the item say the job got.
"""

from __future__ import annotations

from evidence import faults
from evidence.analysis.options import AnalysisOptions
from evidence.analysis.pipeline import analyse
from evidence.analysis.worker import Worker
from evidence.catalogue import jobs
from evidence.core.types import AnalysisState
from evidence.matching.match import match_new_item
from evidence.workspace import Workspace


def run_job(ws: Workspace, worker: Worker, job_id: int, sha256: str) -> str:
    """Run job `job_id` (for the item `sha256`); returns what became of it, for the worker's log."""
    with ws.db.write() as session:
        taken = jobs.take(session, job_id, sha256)
    if isinstance(taken, str):
        return taken
    faults.checkpoint("job-taken")
    # after an earlier take that recorded the analysis and died before the lookup, `first` derives the
    # query again and records nothing
    options = AnalysisOptions(quick=taken.quick)
    outcome = analyse(ws, worker, taken.item_id, actor=taken.actor, options=options, first=True)
    faults.checkpoint("job-analysed")
    if outcome.status.state is AnalysisState.FAILED:
        with ws.db.write() as session:
            jobs.finish(session, job_id, error=outcome.status.reason)
        return f"job {job_id} failed: {outcome.status.reason}"
    found = match_new_item(ws, outcome, actor=taken.actor, worker=worker) if taken.match else []
    faults.checkpoint("job-matched")
    with ws.db.write() as session:
        jobs.finish(session, job_id)
    return f"job {job_id} done: item {sha256[:12]} {outcome.status}, {len(found)} related"
