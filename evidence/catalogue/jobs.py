"""The analysis jobs' rows (`analysis_job`): made when `add` or `capture` hands an item to the queue,
taken and finished by `evidence worker`, listed by `evidence jobs`.

A job is idempotent and its row says how far it got: `queued` (made, and sent to the queue), `running`
(a worker took it: `attempts` counts the takes, `worker` names the last), `done` (the item was analysed
and looked up), `failed` (the analysis failed, with its reason, or workers were lost `MAX_ATTEMPTS`
times on it). A worker that dies mid-job leaves the row `running`; the queue delivers the job again
(acknowledged late) and the next worker takes it from there: it analyses the item only while the item
has never been analysed, and looks it up until the row is `done`.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evidence.catalogue import custody
from evidence.catalogue.custody import now
from evidence.catalogue.models import AnalysisJob, Item
from evidence.core.custody import CustodyAction

MAX_ATTEMPTS = 3
"""Takes of one job by workers that were lost (killed, out of memory) before it failed for good: a file
that kills whatever runs it fails with a reason instead of going round for ever."""


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Taken:
    """What a worker needs to run a job it took."""

    job_id: int
    item_id: int
    sha256: str
    actor: str
    quick: bool
    match: bool


@dataclass(frozen=True, slots=True)
class JobRow:
    id: int
    item_id: int
    sha256: str
    state: str
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int
    worker: str | None
    error: str | None
    actor: str


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def create(session: Session, item: Item, *, actor: str, quick: bool, match: bool) -> AnalysisJob:
    """A queued job for `item`, with a `queue` custody event. Inside a write transaction."""
    job = AnalysisJob(
        item_id=item.id,
        state=JobState.QUEUED,
        options={"quick": quick, "match": match},
        actor=actor,
        queued_at=now(),
        attempts=0,
    )
    session.add(job)
    session.flush()
    custody.append(
        session,
        actor=actor,
        action=CustodyAction.QUEUE,
        subject=f"item:{item.sha256}",
        details={"job": job.id, "quick": quick, "match": match},
    )
    return job


def take(session: Session, job_id: int, sha256: str) -> Taken | str:
    """Mark the job running for this worker and return what it needs, or why there is nothing to do
    (a job this catalogue does not hold, one already finished, one that lost too many workers).
    Inside a write transaction (so that two workers' takes are ordered)."""
    job = session.get(AnalysisJob, job_id)
    item = session.get(Item, job.item_id) if job is not None else None
    if job is None or item is None or item.sha256 != sha256:
        return f"job {job_id} names no item {sha256[:12]} in this catalogue (a queue shared with another?)"
    if job.state in (JobState.DONE, JobState.FAILED):
        return f"job {job_id} is already {job.state}"
    if job.attempts >= MAX_ATTEMPTS:
        job.state = JobState.FAILED
        job.finished_at = now()
        job.error = (
            f"workers were lost {job.attempts} times while running it (the last was {job.worker}); "
            "`evidence analyze REF` runs it in a process of its own"
        )
        return f"job {job_id} failed: {job.error}"
    job.state = JobState.RUNNING
    job.attempts += 1
    job.started_at = now()
    job.worker = this_worker()
    options: dict[str, Any] = job.options or {}
    return Taken(
        job_id=job.id,
        item_id=item.id,
        sha256=item.sha256,
        actor=job.actor,
        quick=bool(options.get("quick")),
        match=bool(options.get("match", True)),
    )


def finish(session: Session, job_id: int, *, error: str | None = None) -> None:
    """The job is done (analysed and looked up), or failed with `error`."""
    job = session.get_one(AnalysisJob, job_id)
    job.state = JobState.FAILED if error else JobState.DONE
    job.error = error
    job.finished_at = now()


def counts(session: Session) -> dict[str, int]:
    found = dict(session.execute(select(AnalysisJob.state, func.count()).group_by(AnalysisJob.state)).all())
    return {state.value: int(found.get(state.value, 0)) for state in JobState}


def rows(session: Session, states: tuple[str, ...], *, limit: int) -> list[JobRow]:
    """Jobs in `states`, oldest first."""
    query = (
        select(AnalysisJob, Item.sha256)
        .join(Item, Item.id == AnalysisJob.item_id)
        .where(AnalysisJob.state.in_(states))
        .order_by(AnalysisJob.id)
        .limit(limit)
    )
    return [
        JobRow(
            id=job.id,
            item_id=job.item_id,
            sha256=sha,
            state=job.state,
            queued_at=job.queued_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            attempts=job.attempts,
            worker=job.worker,
            error=job.error,
            actor=job.actor,
        )
        for job, sha in session.execute(query).all()
    ]
