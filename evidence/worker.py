"""Analysis runs in a separate process: a crash, a hang or a memory blow-up in a decoder fails only
that analysis, never the command, and never touches what is already preserved."""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = float(os.environ.get("EVIDENCE_ANALYSIS_TIMEOUT", "120"))
DEFAULT_MEMORY_MB = int(os.environ.get("EVIDENCE_ANALYSIS_MEMORY_MB", "6144"))


class WorkerFailure(Exception):
    """The isolated call did not return a result: it crashed, timed out or raised."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _child_main(conn: Connection, memory_mb: int) -> None:
    try:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass
    while True:
        try:
            request = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        if request is None:
            return
        target, args = request
        try:
            module_name, _, func_name = target.partition(":")
            func = getattr(importlib.import_module(module_name), func_name)
            conn.send(("ok", func(*args)))
        except MemoryError:
            conn.send(("error", "out of memory (the analysis memory limit was reached)"))
        except Exception as exc:
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


class Worker:
    """One child process reused across calls; restarted after a crash or a timeout."""

    def __init__(self, *, memory_mb: int = DEFAULT_MEMORY_MB) -> None:
        self.memory_mb = memory_mb
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object | type[BaseException] | TracebackType | None) -> None:
        self.close()

    def _start(self) -> Connection:
        if self._conn is not None and self._process is not None and self._process.is_alive():
            return self._conn
        self._stop()
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(
            target=_child_main, args=(child, self.memory_mb), name="evidence-analysis", daemon=True
        )
        process.start()
        child.close()
        self._process, self._conn = process, parent
        return parent

    def call(self, target: str, *args: Any, timeout: float = DEFAULT_TIMEOUT) -> Any:
        """Run `module:function(*args)` in the child and return its (picklable) result."""
        conn = self._start()
        try:
            conn.send((target, args))
            ready = conn.poll(timeout)
        except (BrokenPipeError, EOFError, OSError):
            self._stop()
            raise WorkerFailure("the analysis process died") from None
        if not ready:
            self._stop()
            raise WorkerFailure(f"timed out after {timeout:g} s")
        try:
            status, payload = conn.recv()
        except (EOFError, OSError):
            code = self._process.exitcode if self._process is not None else None
            self._stop()
            raise WorkerFailure(f"the analysis process crashed (exit {code})") from None
        if status != "ok":
            raise WorkerFailure(str(payload))
        return payload

    def _stop(self) -> None:
        if self._process is not None and self._process.is_alive():
            self._process.kill()
            self._process.join(5)
        if self._conn is not None:
            self._conn.close()
        self._process, self._conn = None, None

    def close(self) -> None:
        if self._conn is not None and self._process is not None and self._process.is_alive():
            try:
                self._conn.send(None)
                self._process.join(2)
            except OSError:
                pass
        self._stop()
