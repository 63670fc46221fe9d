"""Analysis runs in a separate process: a crash, a hang or a memory blow-up in a decoder fails only
that analysis, never the command, and never touches what is already preserved.

The child is a fresh interpreter (`python -m evidence.analysis.worker`), not a fork: no locks or threads are
inherited, and nothing depends on how the parent was started. It talks over two pipes with pickled
(target, args) requests, runs under an address-space limit, and is started early so that its imports
overlap with the parent's copying; time limits count the work only, not the start.

A target that returns a generator streams: each item it yields is sent at once as a part (the caller
passes `on_part`), and what it returns is the call's result. A long analysis sends its records this
way instead of holding them all until the end.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Generator
from multiprocessing.connection import Connection
from types import GeneratorType, TracebackType
from typing import Any

DEFAULT_TIMEOUT = 120.0
MAX_TIMEOUT = 7 * 24 * 3600.0
"""The longest wall-clock limit a call gets, whatever a file's header claims about its duration (a
lying header must not make the limit unbounded, nor larger than `poll` accepts: about 24.8 days)."""
DEFAULT_MEMORY_MB = int(os.environ.get("EVIDENCE_ANALYSIS_MEMORY_MB", "6144"))
STARTUP_TIMEOUT = 120.0
# imported by the child before it says it is ready (and the descriptor model loaded and run once), so
# the first job does not pay for them
WARM_UP = (
    "evidence.analysis.jobs",
    "evidence.media.probe.dispatch",
    "evidence.analysis.media_job",
    "evidence.media.video.analyse",
    "evidence.media.image.analyse",
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
                    "evidence.analysis.worker",
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

    def call(
        self,
        target: str,
        *args: Any,
        timeout: float = DEFAULT_TIMEOUT,
        on_part: Callable[[Any], None] | None = None,
    ) -> Any:
        """Run `module:function(*args)` in the child and return its (picklable) result. A streaming
        target's parts go to `on_part` as they arrive; `timeout` covers the whole call."""
        timeout = max(timeout, 0.0) if timeout <= MAX_TIMEOUT else MAX_TIMEOUT  # NaN too
        requests = self._wait_ready()
        replies = self._replies
        assert replies is not None
        deadline = time.monotonic() + timeout
        try:
            requests.send((target, args))
        except (BrokenPipeError, EOFError, OSError):
            self._stop()
            raise WorkerFailure("the analysis process died") from None
        while True:
            status, payload = self._reply(replies, deadline, timeout)
            if status != "part":
                break
            if on_part is None:
                self._stop()
                raise WorkerFailure(f"{target} sent a partial result that nothing receives")
            try:
                on_part(payload)
            except BaseException:
                self._stop()  # the child is still sending: start afresh next time
                raise
        if status != "ok":
            raise WorkerFailure(str(payload))
        return payload

    def _reply(self, replies: Connection, deadline: float, timeout: float) -> tuple[str, Any]:
        try:
            ready = replies.poll(max(0.0, deadline - time.monotonic()))
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
        return status, payload

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
    with contextlib.suppress(Exception):  # a missing model is reported by the job that needs it
        importlib.import_module("evidence.media.sscd").warm_up()
    replies.send(("ready", None))
    while True:
        try:
            request = requests.recv()
        except (EOFError, KeyboardInterrupt):
            request = None
        if request is None:
            # the parent is done with us: nothing here is left to write, so skip tearing the
            # interpreter and the model down (the parent waits for this exit)
            os._exit(0)
        target, args = request
        try:
            module_name, _, func_name = target.partition(":")
            func = getattr(importlib.import_module(module_name), func_name)
            result = func(*args)
            if isinstance(result, GeneratorType):
                result = _send_parts(result, replies)
            replies.send(("ok", result))
        except MemoryError:
            replies.send(("error", "out of memory (the analysis memory limit was reached)"))
        except Exception as exc:
            replies.send(("error", f"{type(exc).__name__}: {exc}"))


def _send_parts(parts: Generator[Any, None, Any], replies: Connection) -> Any:
    """Send each yielded item as a part (the pipe holds a few; the child waits for the parent to
    read them); return the generator's return value."""
    while True:
        try:
            part = next(parts)
        except StopIteration as done:
            return done.value
        replies.send(("part", part))
        del part


if __name__ == "__main__":
    _serve(
        Connection(int(sys.argv[1]), writable=False),
        Connection(int(sys.argv[2]), readable=False),
        int(sys.argv[3]),
    )
