"""Targets for the analysis worker in tests: the child process imports this module when a test puts
tests/ on its PYTHONPATH."""

from __future__ import annotations

import time
from collections.abc import Generator


def count_up(n: int, fail_at: int | None = None, pause: float = 0.0) -> Generator[int, None, str]:
    """Streams 0..n-1 (raising at `fail_at`), pausing between parts; returns a summary."""
    for i in range(n):
        if i == fail_at:
            raise ValueError(f"failed at {i}")
        yield i
        time.sleep(pause)
    return f"counted {n}"
