"""Analysis runs in a separate process: a crash, a hang or a memory blow-up in a decoder fails only
that analysis, never the command, and never touches what is already preserved.

The child is a fresh interpreter (`python -m evidence.worker`), not a fork: no locks or threads are
inherited, and nothing depends on how the parent was started. It talks over two pipes with pickled
(target, args) requests, runs under an address-space limit, and is started early so that its imports
overlap with the parent's copying; time limits count the work only, not the start.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import subprocess
import sys
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any

DEFAULT_TIMEOUT = 120.0
MAX_TIMEOUT = 7 * 24 * 3600.0
"""The longest wall-clock limit a call gets, whatever a file's header claims about its duration (a
lying header must not make the limit unbounded, nor larger than `poll` accepts: about 24.8 days)."""
DEFAULT_MEMORY_MB = int(os.environ.get("EVIDENCE_ANALYSIS_MEMORY_MB", "6144"))
STARTUP_TIMEOUT = 120.0
# imported by the child before it says it is ready, so the first job does not pay for them
WARM_UP = (
    "evidence.jobs",
    "evidence.media.probe",
    "evidence.media.frames_job",
    "evidence.media.video",
    "evidence.media.images",
)


class WorkerFailure(Exception):
    """The isolated call did not return a result: it crashed, timed out or raised."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Worker:
    """One child process reused across calls; restarted after a crash or a timeout."""

    def __init__(self, *, memory_mb: int = DEFAULT_MEMORY_MB) -> None:
        self.memory_mb = memory_mb
        self._process: subprocess.Popen[bytes] | None = None
        self._requests: Connection | None = None
        self._replies: Connection | None = None
        self._ready = False

    def __enter__(self) -> Worker:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def start(self) -> None:
        """Start the child now (without waiting for it), so it warms up while the caller works."""
        if self._process is not None and self._process.poll() is None:
            return
        self._stop()
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        try:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "evidence.worker",
                    str(to_child_r),
                    str(from_child_w),
                    str(self.memory_mb),
                ],
                pass_fds=(to_child_r, from_child_w),
                stdin=subprocess.DEVNULL,
                env=env,
                close_fds=True,
            )
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self._requests, self._replies = (
            Connection(to_child_w, readable=False),
            Connection(from_child_r, writable=False),
        )
        self._ready = False

    def _wait_ready(self) -> Connection:
        self.start()
        assert self._requests is not None and self._replies is not None
        if not self._ready:
            try:
                ok = self._replies.poll(STARTUP_TIMEOUT) and self._replies.recv() == ("ready", None)
            except (EOFError, OSError):
                ok = False
            if not ok:
                self._stop()
                raise WorkerFailure("the analysis process did not start")
            self._ready = True
        return self._requests

    def call(self, target: str, *args: Any, timeout: float = DEFAULT_TIMEOUT) -> Any:
        """Run `module:function(*args)` in the child and return its (picklable) result."""
        timeout = max(timeout, 0.0) if timeout <= MAX_TIMEOUT else MAX_TIMEOUT  # NaN too
        requests = self._wait_ready()
        replies = self._replies
        assert replies is not None
        try:
            requests.send((target, args))
            ready = replies.poll(timeout)
        except (BrokenPipeError, EOFError, OSError):
            self._stop()
            raise WorkerFailure("the analysis process died") from None
        if not ready:
            self._stop()
            raise WorkerFailure(f"timed out after {timeout:g} s")
        try:
            status, payload = replies.recv()
        except (EOFError, OSError):
            code = self._process.wait(5) if self._process is not None else None
            self._stop()
            raise WorkerFailure(f"the analysis process crashed (exit {code})") from None
        if status != "ok":
            raise WorkerFailure(str(payload))
        return payload

    def _stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(5)
        for conn in (self._requests, self._replies):
            if conn is not None:
                conn.close()
        self._process, self._requests, self._replies, self._ready = None, None, None, False

    def close(self) -> None:
        if self._process is not None and self._process.poll() is None and self._requests is not None:
            try:
                self._requests.send(None)
                self._process.wait(2)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._stop()


def _serve(requests: Connection, replies: Connection, memory_mb: int) -> None:
    try:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass
    for module in WARM_UP:
        with contextlib.suppress(ImportError):
            importlib.import_module(module)
    replies.send(("ready", None))
    while True:
        try:
            request = requests.recv()
        except (EOFError, KeyboardInterrupt):
            return
        if request is None:
            return
        target, args = request
        try:
            module_name, _, func_name = target.partition(":")
            func = getattr(importlib.import_module(module_name), func_name)
            replies.send(("ok", func(*args)))
        except MemoryError:
            replies.send(("error", "out of memory (the analysis memory limit was reached)"))
        except Exception as exc:
            replies.send(("error", f"{type(exc).__name__}: {exc}"))


if __name__ == "__main__":
    _serve(
        Connection(int(sys.argv[1]), writable=False),
        Connection(int(sys.argv[2]), readable=False),
        int(sys.argv[3]),
    )
