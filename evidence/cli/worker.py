"""`evidence worker` (runs the queued analyses) and `evidence jobs` (what the queue holds)."""

from __future__ import annotations

import contextlib
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from evidence.cli.app import app, state
from evidence.cli.output import emit_json, message
from evidence.errors import UsageError

if TYPE_CHECKING:
    from evidence.analysis.worker import Worker
    from evidence.catalogue.jobs import JobRow
    from evidence.workspace import Workspace

_process: dict[str, Any] = {}  # each pool process's catalogue and analysis worker, opened on first use


def _needs_queue() -> str:
    from evidence.analysis.queue import check_url, queue_url
    from evidence.config import ENV_QUEUE_URL

    url = queue_url()
    if url is None:
        raise UsageError(
            f"set {ENV_QUEUE_URL} to the job queue's Redis (for example redis://127.0.0.1:6379/0), the "
            "same for `evidence add` and every worker"
        )
    return check_url(url)


def _opened(catalogue: Path | None) -> tuple[Workspace, Worker]:
    """This pool process's catalogue and analysis worker (opened after the fork, kept for its life)."""
    if "ws" not in _process:
        from evidence.analysis.worker import Worker
        from evidence.workspace import open_workspace

        stack = contextlib.ExitStack()
        _process["ws"] = stack.enter_context(open_workspace(catalogue))
        _process["worker"] = stack.enter_context(Worker())
        _process["stack"] = stack
    return _process["ws"], _process["worker"]


def _close_process(**_: Any) -> None:
    stack = _process.pop("stack", None)
    _process.clear()
    if stack is not None:
        stack.close()


def _run(catalogue: Path | None, job_id: int, sha256: str) -> str:
    from evidence.catalogue import jobs
    from evidence.errors import EvidenceError
    from evidence.ingest.queued import run_job

    ws, worker = _opened(catalogue)
    try:
        return run_job(ws, worker, job_id, sha256)
    except EvidenceError as exc:  # the original gone from the store, a database refusing a write…
        with ws.db.write() as session:
            jobs.finish(session, job_id, error=exc.message)
        return f"job {job_id} failed: {exc.message}"


@app.command()
def worker(
    ctx: typer.Context,
    concurrency: int = typer.Option(
        0, "--concurrency", "-c", min=0, help="Jobs run at once (processes); 0: one per core."
    ),
) -> None:
    """Run the analyses and lookups that `add` and `capture` queued (with EVIDENCE_QUEUE_URL set), on any
    machine that reaches the catalogue, the store and the queue. Each job is acknowledged once it has
    run: a worker that dies mid-job leaves it to another. Stop with Ctrl-C, or SIGTERM to this process
    (with systemd, KillMode=mixed): running jobs finish first."""
    from evidence.analysis.queue import QUEUE_NAME, TASK, JobQueue, make_app, shown
    from evidence.workspace import open_workspace

    url = _needs_queue()
    celery_app = make_app(url)  # celery not installed: exit 4, with the extra to install
    from celery import signals

    JobQueue(url).check()
    catalogue = state(ctx).catalogue
    with open_workspace(catalogue) as ws:  # the catalogue must open here before any job is taken
        where = ws.location.root

    def analyse(job_id: int, sha256: str) -> str:
        return _run(catalogue, job_id, sha256)

    celery_app.task(name=TASK)(analyse)
    signals.worker_process_shutdown.connect(_close_process, weak=False)
    processes = concurrency or os.cpu_count() or 1
    message(f"worker for {where}: {processes} at once, jobs from {shown(url)} (Ctrl-C to stop)")
    celery_app.worker_main(
        [
            "worker",
            f"--concurrency={processes}",
            "--pool=prefork",
            f"--queues={QUEUE_NAME}",
            f"--hostname=evidence-{os.getpid()}@{socket.gethostname()}",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
        ]
    )


@app.command()
def jobs(
    ctx: typer.Context,
    every: bool = typer.Option(False, "--all", help="List done jobs too."),
    limit: int = typer.Option(100, "--limit", min=1, help="List at most this many jobs."),
    requeue: bool = typer.Option(
        False,
        "--requeue",
        help="Send every queued or running job to the queue again (after Redis lost them); a job "
        "delivered twice runs once.",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """The analysis jobs: how many are queued, running, done and failed, and each queued, running or
    failed one with its item, age (since queued, started or finished), attempts, worker and reason."""
    from evidence.analysis.queue import JobQueue, queue_url, shown
    from evidence.catalogue import jobs as job_rows
    from evidence.workspace import open_workspace

    url = _needs_queue() if requeue else queue_url()
    queue = JobQueue(url) if url is not None else None
    with open_workspace(state(ctx).catalogue) as ws, ws.db.read() as session:
        counts = job_rows.counts(session)
        states = ("queued", "running", "failed") + (("done",) if every else ())
        listed = job_rows.rows(session, states, limit=limit)
        resend = job_rows.rows(session, ("queued", "running"), limit=1_000_000) if requeue else []
    if queue is not None and requeue:
        for job in resend:
            queue.send(job.id, job.sha256)
        message(f"sent {len(resend)} jobs to {shown(queue.url)} again")
    waiting = queue.waiting() if queue is not None else None
    at = datetime.now(UTC)
    if json_out:
        emit_json({"counts": counts, "waiting_in_queue": waiting, "jobs": [_job_json(j, at) for j in listed]})
        return
    summary = ", ".join(f"{n} {s}" for s, n in counts.items())
    if waiting is not None:
        summary += f"; {waiting} messages waiting in {shown(url or '')}"
    typer.echo(summary)
    for j in listed:
        reason = f"  {j.error}" if j.error else ""
        worker_name = j.worker or "-"
        typer.echo(
            f"{j.id:>6}  {j.sha256[:12]}  {j.state:<8} {_age(_since(j), at):>9}  "
            f"tries {j.attempts}  {worker_name}{reason}"
        )


def _since(job: JobRow) -> datetime:
    if job.state in ("done", "failed") and job.finished_at is not None:
        return job.finished_at
    if job.state == "running" and job.started_at is not None:
        return job.started_at
    return job.queued_at


def _age(since: datetime, at: datetime) -> str:
    seconds = max(0, int((at - since).total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    if seconds < 86400:
        return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"
    return f"{seconds // 86400}d {seconds % 86400 // 3600:02d}h"


def _job_json(job: JobRow, at: datetime) -> dict[str, Any]:
    return {
        "id": job.id,
        "item_id": job.item_id,
        "sha256": job.sha256,
        "state": job.state,
        "queued_at": job.queued_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "age_seconds": round((at - _since(job)).total_seconds(), 1),
        "attempts": job.attempts,
        "worker": job.worker,
        "error": job.error,
        "queued_by": job.actor,
    }
