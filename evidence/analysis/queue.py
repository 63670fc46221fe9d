"""The job queue: with `EVIDENCE_QUEUE_URL` set (a Redis URL), `add` and `capture` preserve and record
each new item, then hand its analysis and lookup to the queue instead of running them in their own
process; `evidence worker` (on any machine that reaches the catalogue, the store and Redis) runs them.

The queue is Celery on Redis. A job is a message `(job id, item sha256)` naming a row of
`analysis_job` (`catalogue/jobs.py`), which says how far the job got; the worker's side is
`ingest/queued.py`. Messages are acknowledged late (after the job ran) and given back to the queue when
the process running them is lost (`task_reject_on_worker_lost`); a worker killed with its host comes
back to the queue after the visibility timeout (`EVIDENCE_QUEUE_VISIBILITY_TIMEOUT`, one hour by
default: a job running longer than that is delivered a second time, and the second take finds the
item analysed and only looks it up). One job at a time per worker process (no prefetching), so that a
long analysis never holds others back.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from evidence.catalogue import jobs
from evidence.catalogue.models import Item
from evidence.config import ENV_QUEUE_URL
from evidence.errors import EnvironmentFailure, UsageError
from evidence.workspace import Workspace

if TYPE_CHECKING:
    from celery import Celery

QUEUE_NAME = "evidence-analysis"
TASK = "evidence.analyse"
ENV_VISIBILITY = "EVIDENCE_QUEUE_VISIBILITY_TIMEOUT"
TEAM_EXTRA = "pip install -e '.[team]'"


def queue_url() -> str | None:
    return os.environ.get(ENV_QUEUE_URL) or None


def shown(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def check_url(url: str) -> str:
    if urlsplit(url).scheme not in ("redis", "rediss", "unix"):
        raise UsageError(
            f"{ENV_QUEUE_URL}={shown(url)}: the job queue is Redis: redis://HOST:PORT/DB, rediss:// "
            "(TLS) or unix:///PATH"
        )
    return url


def visibility_timeout() -> float:
    value = os.environ.get(ENV_VISIBILITY, "3600")
    try:
        seconds = float(value)
    except ValueError:
        raise UsageError(f"{ENV_VISIBILITY}={value!r}: not a number of seconds") from None
    if seconds <= 0:
        raise UsageError(f"{ENV_VISIBILITY}={value!r}: must be more than 0 seconds")
    return seconds


def _require(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        raise EnvironmentFailure(
            f"{ENV_QUEUE_URL} is set but the {exc.name} package is not installed: install the team "
            f"extra ({TEAM_EXTRA})"
        ) from None


def make_app(url: str) -> Celery:
    """The Celery application both sides use: same broker, queue and delivery rules."""
    celery = _require("celery")
    _require("redis")
    app = celery.Celery("evidence", broker=check_url(url), set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_ignore_result=True,
        task_default_queue=QUEUE_NAME,
        worker_prefetch_multiplier=1,
        broker_transport_options={"visibility_timeout": visibility_timeout()},
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=5,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    return app


class JobQueue:
    """The sending side: checks the queue answers, makes each job's row and sends its message."""

    def __init__(self, url: str) -> None:
        self.url = check_url(url)
        self._app: Celery | None = None

    @property
    def app(self) -> Celery:
        if self._app is None:
            self._app = make_app(self.url)
        return self._app

    def _unreachable(self, exc: Exception) -> EnvironmentFailure:
        return EnvironmentFailure(
            f"the job queue at {shown(self.url)} is unreachable ({exc}); start Redis, or unset "
            f"{ENV_QUEUE_URL} to analyse in this process"
        )

    def _ask(self, command: Callable[[Any], Any]) -> Any:
        """`command` run on a Redis client of the queue's; unreachable is an environment failure."""
        redis = _require("redis")
        try:
            return command(redis.Redis.from_url(self.url, socket_connect_timeout=5, socket_timeout=10))
        except (redis.RedisError, OSError) as exc:
            raise self._unreachable(exc) from None

    def check(self) -> None:
        """Fail before anything is written when the queue does not answer."""
        _require("celery")
        self._ask(lambda client: client.ping())

    def waiting(self) -> int:
        """Messages in the queue not yet taken by a worker."""
        return int(self._ask(lambda client: client.llen(QUEUE_NAME)))

    def send(self, job_id: int, sha256: str) -> None:
        try:
            self.app.send_task(
                TASK,
                args=[job_id, sha256],
                queue=QUEUE_NAME,
                retry=True,
                retry_policy={"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5},
            )
        except Exception as exc:  # kombu's and redis's connection errors have no common base here
            raise self._unreachable(exc) from None

    def submit(
        self, ws: Workspace, item_id: int, *, actor: str, quick: bool, match: bool
    ) -> tuple[int, Item]:
        """Hand an item's analysis and lookup to the workers: the job's row and its `queue` event in
        one transaction, then the message. Returns the job's id and the item as that transaction read
        it."""
        with ws.db.write() as session:
            item = session.get_one(Item, item_id)
            job = jobs.create(session, item, actor=actor, quick=quick, match=match)
            job_id, sha256 = job.id, item.sha256
        try:
            self.send(job_id, sha256)
        except EnvironmentFailure as failure:
            failure.message += (
                f"; item {sha256[:12]} is preserved and its job {job_id} recorded: `evidence jobs "
                "--requeue` sends it once the queue is back"
            )
            failure.args = (failure.message,)
            raise
        return job_id, item


def from_environment(*, analyse: bool) -> JobQueue | None:
    """The queue `EVIDENCE_QUEUE_URL` names, checked to answer (exit 4 before anything is written when
    it does not); None without one, or when nothing is to be analysed."""
    url = queue_url()
    if url is None or not analyse:
        return None
    queue = JobQueue(url)
    queue.check()
    return queue
