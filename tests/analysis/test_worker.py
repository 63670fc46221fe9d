"""The isolated analysis worker: results come back; hangs, crashes and errors fail only the call."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from evidence.analysis.worker import Worker, WorkerFailure


def test_results_errors_hangs_and_crashes() -> None:
    with Worker() as worker:
        assert worker.call("math:gcd", 12, 18, timeout=30) == 6
        with pytest.raises(WorkerFailure, match="ValueError"):
            worker.call("fractions:Fraction", "not a number", timeout=30)
        started = time.monotonic()
        with pytest.raises(WorkerFailure, match="timed out"):
            worker.call("time:sleep", 60, timeout=1)
        assert time.monotonic() - started < 30  # killed at its limit, not after the minute
        with pytest.raises(WorkerFailure, match="crashed"):
            worker.call("os:_exit", 3, timeout=30)
        # a fresh process takes over after a hang or a crash
        assert worker.call("math:gcd", 7, 21, timeout=30) == 7


def test_memory_limit_turns_a_blow_up_into_a_failure() -> None:
    with Worker(memory_mb=1024) as worker, pytest.raises(WorkerFailure):
        worker.call("numpy:ones", (4096, 4096, 64), timeout=60)


@pytest.fixture
def test_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lets the child import `worker_jobs` from tests/."""
    here = str(Path(__file__).resolve().parent)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p))


@pytest.mark.usefixtures("test_jobs")
def test_a_generator_target_streams_its_parts_then_returns() -> None:
    parts: list[int] = []
    with Worker() as worker:
        assert worker.call("worker_jobs:count_up", 5, timeout=30, on_part=parts.append) == "counted 5"
        assert parts == [0, 1, 2, 3, 4]
        parts.clear()
        with pytest.raises(WorkerFailure, match="ValueError: failed at 2"):
            worker.call("worker_jobs:count_up", 5, 2, timeout=30, on_part=parts.append)
        assert parts == [0, 1]
        with pytest.raises(WorkerFailure, match="nothing receives"):
            worker.call("worker_jobs:count_up", 5, timeout=30)
        assert worker.call("math:gcd", 12, 18, timeout=30) == 6  # a fresh process takes over


@pytest.mark.usefixtures("test_jobs")
def test_the_time_limit_covers_the_whole_stream_and_a_failing_receiver_stops_it() -> None:
    parts: list[int] = []
    with Worker() as worker:
        started = time.monotonic()
        with pytest.raises(WorkerFailure, match="timed out"):  # each part comes in time, not all of them
            worker.call("worker_jobs:count_up", 100, None, 0.3, timeout=2, on_part=parts.append)
        assert 3 <= len(parts) < 100 and time.monotonic() - started < 30

        def refuse(part: int) -> None:
            raise RuntimeError("the receiver gave up")

        with pytest.raises(RuntimeError, match="gave up"):
            worker.call("worker_jobs:count_up", 5, timeout=30, on_part=refuse)
        assert worker.call("math:gcd", 7, 21, timeout=30) == 7
