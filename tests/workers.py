"""`evidence worker` processes for the job queue's tests, started and stopped by the test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from conftest import Catalogue

WAIT = 300.0


class Workers:
    """`evidence worker` processes on one catalogue, each in a process group of its own (so that a
    SIGKILL takes the worker with its pool and its analysis process, as a lost machine would)."""

    def __init__(self, cat: Catalogue, url: str, folder: Path) -> None:
        self.cat, self.url, self.folder = cat, url, folder
        self.procs: list[subprocess.Popen[bytes]] = []

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {**os.environ, "EVIDENCE_QUEUE_URL": self.url, "EVIDENCE_ACTOR": "tester", **(extra or {})}
        env.pop("EVIDENCE_DATABASE_URL", None)
        if self.cat.database_url:
            env["EVIDENCE_DATABASE_URL"] = self.cat.database_url
        return env

    def start(self, *, concurrency: int = 1, extra: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = (self.folder / f"worker-{len(self.procs)}.log").open("wb")
        cmd = [sys.executable, "-m", "evidence", "--catalogue", str(self.cat.root), "worker"]
        proc = subprocess.Popen(
            [*cmd, "--concurrency", str(concurrency)],
            env=self.env(extra),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    def logs(self) -> str:
        return "\n".join(
            p.read_text(errors="replace")[-3000:] for p in sorted(self.folder.glob("worker-*.log"))
        )

    def stop(self) -> None:
        """A warm shutdown: SIGTERM to each worker's main process (not its group: that would end the
        pool's running jobs too), which lets the running jobs finish."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
