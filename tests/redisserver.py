"""A real Redis for the job queue's tests: Debian's `redis-server` (`apt-get install redis-server`,
done by .ci/run), started once per test session on 127.0.0.1 with nothing saved to disk, and stopped
when the session ends. Tests take its fixture by importing it:

    from redisserver import queue_url as queue_url  # redis://127.0.0.1:<port>/<a database of its own>

Each test gets a database of its own (0 to 15, then the first is flushed and reused), so one test's
jobs never reach another's workers. `EVIDENCE_TEST_REDIS_SERVER` may name the binary; without one the
tests that use the fixture are skipped, or fail when `EVIDENCE_TEST_REDIS=required` (set by .ci/run).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

BINARY_ENV = "EVIDENCE_TEST_REDIS_SERVER"
REQUIRED_ENV = "EVIDENCE_TEST_REDIS"
MISSING = "redis-server is not installed (Debian: apt-get install redis-server)"
DATABASES = 16


@dataclass
class RedisServer:
    port: int
    folder: Path
    process: subprocess.Popen[bytes]
    _numbers: Iterator[int] = field(default_factory=itertools.count)

    def new_url(self) -> str:
        """A database not used by the tests before (flushed when one comes round again)."""
        number = next(self._numbers) % DATABASES
        url = f"redis://127.0.0.1:{self.port}/{number}"
        import redis

        redis.Redis.from_url(url).flushdb()
        return url

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)


def binary() -> str | None:
    named = os.environ.get(BINARY_ENV)
    if named:
        return named if os.access(named, os.X_OK) else None
    return shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.access("/usr/bin/redis-server", os.X_OK) else None
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(path: str) -> RedisServer:
    folder = Path(tempfile.mkdtemp(prefix="evidence-redis-"))
    port = _free_port()
    command = [path, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    command += ["--dir", str(folder), "--logfile", str(folder / "redis.log"), "--databases", str(DATABASES)]
    # a session of its own: a Ctrl-C in the terminal reaches the caller, which stops it after its workers
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return RedisServer(port, folder, process)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    log = (folder / "redis.log").read_text(errors="replace") if (folder / "redis.log").exists() else ""
    raise RuntimeError(f"redis-server did not start on 127.0.0.1:{port}: {log[-2000:]}")


_running: dict[str, RedisServer] = {}


def _session_server(config: pytest.Config) -> RedisServer:
    """The session's server, started on first use and stopped when the session ends (a fixture of its
    own would have to be imported too: each test module imports only `queue_url`)."""
    if "server" not in _running:
        path = binary()
        required = os.environ.get(REQUIRED_ENV) == "required"
        if path is None:
            if required:
                pytest.fail(f"{REQUIRED_ENV}=required but {MISSING}", pytrace=False)
            pytest.skip(MISSING)
        try:
            import celery  # noqa: F401
            import redis  # noqa: F401
        except ModuleNotFoundError as exc:
            if required:
                pytest.fail(f"{REQUIRED_ENV}=required but {exc.name} is not installed", pytrace=False)
            pytest.skip(f"{exc.name} is not installed (the dev extra brings celery[redis])")
        server = start(path)
        _running["server"] = server
        config.add_cleanup(server.stop)
        config.add_cleanup(_running.clear)
    return _running["server"]


@pytest.fixture
def queue_url(request: pytest.FixtureRequest) -> str:
    """A Redis database of this test's own, for EVIDENCE_QUEUE_URL."""
    return _session_server(request.config).new_url()
