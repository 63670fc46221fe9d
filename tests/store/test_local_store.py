"""The content-addressed store and the crash-safety of ingest."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Catalogue
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence import faults
from evidence.errors import EnvironmentFailure, InputRefused
from evidence.store.local import LocalStore


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    s = LocalStore(tmp_path / "store")
    s.create()
    return s


def test_roundtrip_names_object_by_sha256_read_only(store: LocalStore, tmp_path: Path) -> None:
    src = tmp_path / "in.bin"
    data = os.urandom(3 * (1 << 20) + 17)  # spans several copy chunks
    src.write_bytes(data)
    stored = store.put_file(src)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.size == len(data) and not stored.existed
    path = store.path_for(stored.sha256)
    assert path == store.root / "objects" / stored.sha256[:2] / stored.sha256[2:4] / stored.sha256
    assert path.read_bytes() == data
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert store.hash_object(stored.sha256) == stored.sha256
    assert store.leftovers() == []
    assert src.read_bytes() == data  # the original is untouched


@settings(max_examples=25, deadline=None)
@given(data=st.binary(min_size=1, max_size=5000))
def test_same_bytes_twice_is_one_object(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    base = tmp_path_factory.mktemp("prop")
    store = LocalStore(base / "store")
    store.create()
    (base / "a").write_bytes(data)
    (base / "b").write_bytes(data)
    first, second = store.put_file(base / "a"), store.put_file(base / "b")
    assert first.sha256 == second.sha256 and second.existed and not first.existed
    assert [o.sha256 for o in store.iter_objects()] == [first.sha256]


def test_existing_object_is_never_overwritten(store: LocalStore, tmp_path: Path) -> None:
    src = tmp_path / "a"
    src.write_bytes(b"original bytes")
    stored = store.put_file(src)
    before = store.path_for(stored.sha256).stat()
    store.put_file(src)
    after = store.path_for(stored.sha256).stat()
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)


def test_empty_and_special_files_are_refused(store: LocalStore, tmp_path: Path) -> None:
    (tmp_path / "empty").write_bytes(b"")
    with pytest.raises(InputRefused, match="empty"):
        store.put_file(tmp_path / "empty")
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(InputRefused, match="FIFO"):
        store.put_file(tmp_path / "fifo")
    with pytest.raises(InputRefused, match="directory"):
        store.put_file(tmp_path)
    assert store.leftovers() == []


def test_a_file_that_changes_while_copied_is_refused(store: LocalStore, tmp_path: Path) -> None:
    src = tmp_path / "growing.mp4"
    src.write_bytes(b"a" * (3 << 20))
    calls = 0

    def grow(_: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            with open(src, "ab") as handle:
                handle.write(b"more")

    with pytest.raises(InputRefused, match="changed while it was being copied"):
        store.put_file(src, progress=grow)
    assert list(store.iter_objects()) == []
    assert store.leftovers() == []


class _FullDisk:
    """A file object whose write, fsync or close fails as on a full disk."""

    def __init__(self, handle: Any, step: str) -> None:
        self.handle, self.step = handle, step

    def _check(self, step: str) -> None:
        if self.step == step:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.handle.close()
        self._check("close")

    def write(self, data: bytes) -> int:
        self._check("write")
        return int(self.handle.write(data))

    def flush(self) -> None:
        self.handle.flush()

    def fileno(self) -> int:
        return int(self.handle.fileno())


@pytest.mark.parametrize("step", ["write", "fsync", "close"])
def test_bytes_that_cannot_be_written_leave_no_temp_file(
    store: LocalStore, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    """A thumbnail (put_bytes) on a full disk: exit-4 error, and no `put-…` file left in store/tmp."""
    real_fdopen, real_fsync = os.fdopen, os.fsync

    def fdopen(fd: int, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        return _FullDisk(real_fdopen(fd, mode, *args, **kwargs), step)

    def fsync(fd: int) -> None:
        if step == "fsync":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fdopen", fdopen)
    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(EnvironmentFailure, match="the disk is full"):
        store.put_bytes(b"thumbnail bytes")
    monkeypatch.undo()
    assert store.leftovers() == [] and list(store.iter_objects("derived")) == []
    assert store.put_bytes(b"thumbnail bytes") == hashlib.sha256(b"thumbnail bytes").hexdigest()


class Boom(Exception):
    pass


@pytest.mark.parametrize("step", ["copy", "fsync", "publish", "commit"])
def test_failure_at_each_step_leaves_nothing_and_rerun_converges(
    sqlite_catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    src = sqlite_catalogue.home / "clip.txt"
    src.write_text("evidence bytes")

    def explode(name: str) -> None:
        if name == step:
            raise Boom(name)

    monkeypatch.setattr(faults, "checkpoint", explode)
    result = sqlite_catalogue.run("add", src)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    monkeypatch.undo()
    assert sqlite_catalogue.json("list")["items"] == []
    store = LocalStore(sqlite_catalogue.root / "store")
    assert store.leftovers() == []
    # an object published before the commit failed is content we already hold: re-adding converges
    doc = sqlite_catalogue.json("add", src)
    assert doc["results"][0]["status"] == "added"
    assert sqlite_catalogue.json("verify")["ok"] is True


@pytest.mark.parametrize("step", ["copy", "fsync", "publish", "commit"])
def test_abrupt_death_at_each_step_then_rerun_converges(sqlite_catalogue: Catalogue, step: str) -> None:
    """The process is killed outright (os._exit) mid-ingest: either nothing, a recoverable temp file,
    or a complete item; running the same add again gives exactly one complete item."""
    src = sqlite_catalogue.home / "clip.txt"
    src.write_text("evidence bytes, abrupt")
    env = {**os.environ, "EVIDENCE_TEST_CRASH_AT": step, "EVIDENCE_ACTOR": "tester"}
    env.pop("EVIDENCE_DATABASE_URL", None)
    cmd = [sys.executable, "-m", "evidence", "--catalogue", str(sqlite_catalogue.root), "add", str(src)]
    crashed = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert crashed.returncode == faults.CRASH_EXIT, crashed.stderr
    assert sqlite_catalogue.json("list")["items"] == []
    doc = sqlite_catalogue.json("add", src)
    assert doc["results"][0]["status"] == "added"
    items = sqlite_catalogue.json("list")["items"]
    assert len(items) == 1
    report = sqlite_catalogue.json("verify")
    assert report["ok"] is True
    # a crash after fsync leaves at most one temp file, reported as a warning, never as an object
    assert len(report["warnings"]) <= 1
