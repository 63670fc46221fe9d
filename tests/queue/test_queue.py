"""Analysis on the job queue: with EVIDENCE_QUEUE_URL set, `add` preserves, records and queues;
`evidence worker` processes (real Celery workers on a real Redis) analyse and look the items up;
`evidence jobs` says where each job is. A file that fails its analysis fails once; one that kills the
process running it fails after `MAX_ATTEMPTS` takes, with its reason, instead of going round for ever."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from conftest import Catalogue
from mediagen import make_video
from redisserver import queue_url as queue_url  # the fixture: a Redis database of the test's own
from workers import WAIT, Workers

from evidence.catalogue.jobs import MAX_ATTEMPTS


@pytest.fixture
def workers(catalogue: Catalogue, queue_url: str, tmp_path: Path) -> Iterator[Workers]:
    folder = tmp_path / "worker-logs"
    folder.mkdir()
    pool = Workers(catalogue, queue_url, folder)
    yield pool
    pool.stop()


def _queued(cat: Catalogue, url: str, *args: str | Path, code: int = 0) -> Any:
    result = cat.run(*args, "--json", env={"EVIDENCE_QUEUE_URL": url})
    assert result.exit_code == code, result.output
    return result


def _jobs(cat: Catalogue, url: str) -> dict[str, Any]:
    result = cat.run("jobs", "--all", "--json", env={"EVIDENCE_QUEUE_URL": url})
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def _until(what: Callable[[], bool], pool: Workers, limit: float = WAIT) -> None:
    deadline = time.monotonic() + limit
    while not what():
        assert time.monotonic() < deadline, f"gave up waiting; the workers said:\n{pool.logs()}"
        time.sleep(0.2)


def _analyse_events(cat: Catalogue, ref: str | int) -> int:
    return sum(1 for e in cat.json("show", str(ref))["events"] if e["action"] == "analyse")


def test_add_queues_and_workers_analyse_and_relate(
    catalogue: Catalogue, queue_url: str, workers: Workers, tmp_path: Path
) -> None:
    original = make_video(tmp_path / "original.mp4", seconds=4.0, scenes=3, seed=21)
    reupload = make_video(tmp_path / "reupload.mp4", seconds=4.0, scenes=3, seed=21, size=(256, 192))
    added = json.loads(_queued(catalogue, queue_url, "add", original, reupload).stdout)["results"]
    assert [r["analysis"] for r in added] == ["pending", "pending"]
    queued = _jobs(catalogue, queue_url)
    assert queued["counts"] == {"queued": 2, "running": 0, "done": 0, "failed": 0}
    assert queued["waiting_in_queue"] == 2
    assert {j["sha256"] for j in queued["jobs"]} == {r["sha256"] for r in added}
    events = catalogue.json("show", str(added[0]["id"]))["events"]
    assert [e["action"] for e in events][-1] == "queue" and _analyse_events(catalogue, added[0]["id"]) == 0

    workers.start(concurrency=2)
    _until(lambda: _jobs(catalogue, queue_url)["counts"]["done"] == 2, workers)

    done = _jobs(catalogue, queue_url)
    assert done["waiting_in_queue"] == 0 and all(j["attempts"] == 1 for j in done["jobs"]), done
    assert [i["analysis"] for i in catalogue.json("list")["items"]] == ["ok", "ok"]
    assert [_analyse_events(catalogue, r["id"]) for r in added] == [1, 1]
    clusters = catalogue.json("dupes")["clusters"]
    assert [sorted(i["id"] for i in c) for c in clusters] == [sorted(r["id"] for r in added)]
    assert catalogue.json("verify")["ok"] is True


def _pair(tmp_path: Path, seed: int) -> tuple[Path, Path]:
    original = make_video(tmp_path / "original.mp4", seconds=4.0, scenes=3, seed=seed)
    return original, make_video(tmp_path / "copy.mp4", seconds=4.0, scenes=3, seed=seed, size=(256, 192))


def _paused(release: Path, pool: Workers) -> None:
    _until(lambda: Path(f"{release}.paused").exists(), pool)


def test_a_worker_lost_after_the_analysis_leaves_the_lookup_to_the_next(
    catalogue: Catalogue, queue_url: str, workers: Workers, tmp_path: Path
) -> None:
    """The gap between an analysis committed and its lookup: the next take looks the item up, and
    records no second analysis."""
    original, copy = _pair(tmp_path, seed=31)
    catalogue.ok("add", original)
    added = json.loads(_queued(catalogue, queue_url, "add", copy).stdout)["results"][0]
    release = tmp_path / "release"
    quick = {"EVIDENCE_QUEUE_VISIBILITY_TIMEOUT": "3"}
    victim = workers.start(extra={**quick, "EVIDENCE_TEST_PAUSE_AT": f"job-analysed:{release}"})
    _paused(release, workers)
    os.killpg(victim.pid, signal.SIGKILL)  # the machine is lost: its job comes back after the timeout
    victim.wait(timeout=30)
    assert catalogue.json("show", added["sha256"])["analysis"] == "ok"
    assert catalogue.json("dupes")["clusters"] == [], "not looked up yet"
    workers.start(extra=quick)
    _until(lambda: _jobs(catalogue, queue_url)["counts"]["done"] == 1, workers)
    assert _jobs(catalogue, queue_url)["jobs"][0]["attempts"] == 2
    assert _analyse_events(catalogue, added["id"]) == 1
    assert len(catalogue.json("dupes")["clusters"]) == 1, "the second take looked it up"


def test_a_job_delivered_twice_at_once_records_one_analysis(
    catalogue: Catalogue, queue_url: str, workers: Workers, tmp_path: Path
) -> None:
    """A visibility timeout shorter than the job: Redis gives the job to a second worker while the first
    is still at it. Both finish; the item has one analysis, the pair one relation."""
    original, copy = _pair(tmp_path, seed=32)
    catalogue.ok("add", original)
    added = json.loads(_queued(catalogue, queue_url, "add", copy).stdout)["results"][0]
    release = tmp_path / "release"
    quick = {"EVIDENCE_QUEUE_VISIBILITY_TIMEOUT": "3"}
    workers.start(extra={**quick, "EVIDENCE_TEST_PAUSE_AT": f"frames:{release}"})  # derived, not recorded
    _paused(release, workers)
    workers.start(extra=quick)
    _until(lambda: _jobs(catalogue, queue_url)["counts"]["done"] == 1, workers)  # the second take
    release.touch()
    _until(lambda: _jobs(catalogue, queue_url)["waiting_in_queue"] == 0, workers)
    workers.stop()  # lets the first take finish (a warm shutdown waits for the job)
    assert _jobs(catalogue, queue_url)["counts"]["done"] == 1
    assert _analyse_events(catalogue, added["id"]) == 1
    assert len(catalogue.json("review")["suggestions"]) == 1
    assert catalogue.json("verify")["ok"] is True


def test_a_file_that_fails_analysis_fails_once_with_its_reason(
    catalogue: Catalogue, queue_url: str, workers: Workers, tmp_path: Path
) -> None:
    fake = tmp_path / "clip.mp4"
    fake.write_text("this is not a video\n" * 50)
    _queued(catalogue, queue_url, "add", fake)
    workers.start()
    _until(lambda: _jobs(catalogue, queue_url)["counts"]["failed"] == 1, workers)
    job = _jobs(catalogue, queue_url)["jobs"][0]
    assert job["attempts"] == 1 and "not a media file" in job["error"], job
    assert catalogue.json("list")["items"][0]["analysis"].startswith("failed:not a media file")
    shown = catalogue.run("jobs", env={"EVIDENCE_QUEUE_URL": queue_url})
    assert shown.exit_code == 0 and "failed" in shown.stdout and "not a media file" in shown.stdout
    assert _jobs(catalogue, queue_url)["waiting_in_queue"] == 0


def test_a_file_that_kills_its_worker_fails_after_max_attempts(
    catalogue: Catalogue, queue_url: str, workers: Workers, tmp_path: Path
) -> None:
    clip = make_video(tmp_path / "clip.mp4", seconds=2.0, seed=5)
    _queued(catalogue, queue_url, "add", clip)
    # the pool process dies (os._exit) at every take, as on an out-of-memory kill; the worker lives on
    workers.start(extra={"EVIDENCE_TEST_CRASH_AT": "job-taken"})
    _until(lambda: _jobs(catalogue, queue_url)["counts"]["failed"] == 1, workers)
    job = _jobs(catalogue, queue_url)["jobs"][0]
    assert job["attempts"] == MAX_ATTEMPTS, job
    assert f"workers were lost {MAX_ATTEMPTS} times" in job["error"]
    item = catalogue.json("list")["items"][0]
    assert item["analysis"] == "pending"  # never analysed: `evidence analyze --pending` still can
    assert _jobs(catalogue, queue_url)["waiting_in_queue"] == 0


def test_requeue_sends_again_what_redis_lost(
    catalogue: Catalogue, queue_url: str, workers: Workers, tmp_path: Path
) -> None:
    clip = make_video(tmp_path / "clip.mp4", seconds=2.0, seed=6)
    _queued(catalogue, queue_url, "add", clip)
    redis.Redis.from_url(queue_url).flushdb()  # Redis restarted without its data
    assert _jobs(catalogue, queue_url)["waiting_in_queue"] == 0
    again = catalogue.run("jobs", "--requeue", env={"EVIDENCE_QUEUE_URL": queue_url})
    assert again.exit_code == 0 and "sent 1 jobs" in again.output
    workers.start()
    _until(lambda: _jobs(catalogue, queue_url)["counts"]["done"] == 1, workers)
    assert catalogue.json("list")["items"][0]["analysis"] == "ok"


def test_a_queue_lost_after_the_check_leaves_the_job_recorded_for_requeue(
    sqlite_catalogue: Catalogue, queue_url: str, tmp_path: Path
) -> None:
    from evidence.analysis.queue import JobQueue
    from evidence.errors import EnvironmentFailure
    from evidence.workspace import open_workspace

    cat = sqlite_catalogue
    clip = make_video(tmp_path / "clip.mp4", seconds=1.0, seed=8)
    item = cat.json("add", clip, "--no-analysis")["results"][0]
    gone = JobQueue(f"redis://127.0.0.1:{_closed_port()}/0")
    with open_workspace(cat.root) as ws, pytest.raises(EnvironmentFailure) as failure:
        gone.submit(ws, item["id"], actor="tester", quick=False, match=True)
    assert "unreachable" in failure.value.message and "evidence jobs --requeue" in failure.value.message
    assert _jobs(cat, queue_url)["counts"]["queued"] == 1 and _jobs(cat, queue_url)["waiting_in_queue"] == 0
    again = cat.run("jobs", "--requeue", env={"EVIDENCE_QUEUE_URL": queue_url})
    assert again.exit_code == 0 and "sent 1 jobs" in again.output
    assert _jobs(cat, queue_url)["waiting_in_queue"] == 1


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_queue_refuses_the_add_before_anything_is_written(
    sqlite_catalogue: Catalogue, tmp_path: Path
) -> None:
    cat = sqlite_catalogue
    clip = make_video(tmp_path / "clip.mp4", seconds=1.0, seed=3)
    down = {"EVIDENCE_QUEUE_URL": f"redis://127.0.0.1:{_closed_port()}/0"}
    result = cat.run("add", clip, env=down)
    assert result.exit_code == 4, result.output
    assert "job queue" in result.stderr and "unreachable" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert cat.json("list")["items"] == []
    assert not [p for p in (cat.root / "store").rglob("*") if p.is_file()]
    # nothing to analyse, nothing to queue: preserving needs no queue
    assert cat.run("add", clip, "--no-analysis", env=down).exit_code == 0
    bad = cat.run("add", clip, env={"EVIDENCE_QUEUE_URL": "amqp://127.0.0.1/"})
    assert bad.exit_code == 2 and "redis://" in bad.stderr


def test_worker_without_a_queue_says_what_to_set(sqlite_catalogue: Catalogue) -> None:
    result = sqlite_catalogue.run("worker", env={"EVIDENCE_QUEUE_URL": None})
    assert result.exit_code == 2 and "EVIDENCE_QUEUE_URL" in result.stderr
