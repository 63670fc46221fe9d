"""The isolated analysis worker: results come back; hangs, crashes and errors fail only the call."""

from __future__ import annotations

import time

import pytest

from evidence.worker import Worker, WorkerFailure


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
