"""A full disk or a read-only store while adding: exit 4, one line on stderr that says what to do,
and nothing written: no item, no custody event, no object, no temp file, the original untouched.
When the catalogue's commit fails after the copy was published, the copy is moved to store/orphans/
(or, while another command writes, left where it is) and the line says where it is."""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Catalogue
from mediagen import make_video
from sqlalchemy import create_engine, text

from evidence import faults

FULL = "free some space and run the command again"
READ_ONLY = "make it writable (or mount it read-write) and run the command again"


def _events(catalogue: Catalogue) -> int:
    engine = create_engine(catalogue.url)
    with engine.connect() as conn:
        count = int(conn.execute(text("SELECT count(*) FROM event")).scalar_one())
    engine.dispose()
    return count


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if not p.is_dir()) if folder.is_dir() else []


class Source:
    def __init__(self, path: Path, size: int) -> None:
        path.write_bytes(hashlib.shake_256(path.name.encode()).digest(size))
        self.path = path
        self.data = path.read_bytes()
        self.mtime = path.stat().st_mtime_ns

    def untouched(self) -> bool:
        return self.path.read_bytes() == self.data and self.path.stat().st_mtime_ns == self.mtime


def _assert_nothing_written(catalogue: Catalogue, source: Source, events: int) -> None:
    assert catalogue.json("list")["items"] == []
    assert _events(catalogue) == events
    store = catalogue.root / "store"
    assert _files(store / "tmp") == [] and _files(store / "objects") == [] and _files(store / "orphans") == []
    assert source.untouched()


def _one_line(stderr: str, advice: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("evidence: ") and advice in lines[0], stderr


@pytest.mark.parametrize(
    ("point", "error", "advice"),
    [
        ("preflight", "ENOSPC", FULL),
        ("tmp", "ENOSPC", FULL),  # the temp file cannot be created
        ("write", "ENOSPC", FULL),  # its first write fails
        ("copy", "ENOSPC", FULL),
        ("fsync", "ENOSPC", FULL),
        ("publish", "ENOSPC", FULL),
        ("copy", "EDQUOT", FULL),
        ("write", "EDQUOT", FULL),
        ("tmp", "EROFS", READ_ONLY),
        ("copy", "EROFS", READ_ONLY),
        ("fsync", "EROFS", READ_ONLY),
        ("publish", "EROFS", READ_ONLY),
        ("publish", "EACCES", READ_ONLY),
    ],
)
def test_full_or_read_only_store_writes_nothing(
    catalogue: Catalogue, point: str, error: str, advice: str
) -> None:
    source = Source(catalogue.home / "clip.mp4", 3 << 20)  # several copy chunks
    events = _events(catalogue)
    result = catalogue.run("add", source.path, env={faults.ENV_FAIL_AT: f"{point}:{error}"})
    assert result.exit_code == 4, result.output
    assert result.stdout == ""
    _one_line(result.stderr, advice)
    _assert_nothing_written(catalogue, source, events)
    assert catalogue.json("fsck")["problems"] == []
    # once there is room again, the same add works
    assert catalogue.json("add", source.path, "--no-analysis")["results"][0]["status"] == "added"


def _evidence(catalogue: Catalogue) -> list[str]:
    return [sys.executable, "-m", "evidence", "--catalogue", str(catalogue.root)]


def _env() -> dict[str, str]:
    env = {**os.environ, "EVIDENCE_ACTOR": "tester"}
    env.pop("EVIDENCE_DATABASE_URL", None)
    return env


def test_a_real_write_limit_mid_copy_writes_nothing(sqlite_catalogue: Catalogue) -> None:
    """RLIMIT_FSIZE makes the kernel refuse writes past 2 MiB (EFBIG), even for root: a real failure
    in the middle of the copy, not a simulated one."""
    source = Source(sqlite_catalogue.home / "big.bin", 3 << 20)
    events = _events(sqlite_catalogue)
    assert (sqlite_catalogue.root / "catalogue.sqlite").stat().st_size < 2 << 20

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (2 << 20, 2 << 20))

    cmd = [*_evidence(sqlite_catalogue), "add", str(source.path), "--no-analysis"]
    done = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=120, preexec_fn=limit)
    assert done.returncode == 4, done.stderr
    _one_line(done.stderr, "raise the file-size limit")
    _assert_nothing_written(sqlite_catalogue, source, events)


def _namespaces_work() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True, timeout=30)
    return probe.returncode == 0


@pytest.mark.skipif(not _namespaces_work(), reason="needs `unshare -rm` (user and mount namespaces)")
@pytest.mark.parametrize(
    ("mount", "advice"),
    [
        ("size=1m", "not enough free space in the evidence store"),  # a really full store
        ("size=64m,ro", READ_ONLY),  # a really read-only store
    ],
)
def test_a_really_full_or_read_only_store(sqlite_catalogue: Catalogue, mount: str, advice: str) -> None:
    """The store is a small (or read-only) tmpfs, mounted in a private mount namespace, so that the
    kernel itself says the disk is full or read-only, also to root."""
    source = Source(sqlite_catalogue.home / "big.bin", 3 << 20)
    events = _events(sqlite_catalogue)
    store = sqlite_catalogue.root / "store"
    out = sqlite_catalogue.home / "inside.txt"
    size, _, read_only = mount.partition(",")
    script = f"""
set -e
mount -t tmpfs -o {size} tmpfs "$STORE"
mkdir "$STORE/objects" "$STORE/derived" "$STORE/tmp"
{"mount -o remount,ro," + size + ' "$STORE"' if read_only else ""}
set +e
"$@" 2>"$OUT.err"
echo "$? $(find "$STORE" -type f | wc -l)" >"$OUT"
"""
    cmd = [*_evidence(sqlite_catalogue), "add", str(source.path), "--no-analysis"]
    env = {**_env(), "STORE": str(store), "OUT": str(out)}
    subprocess.run(["unshare", "-rm", "sh", "-c", script, "sh", *cmd], env=env, check=True, timeout=120)
    code, left = out.read_text().split()
    assert (int(code), int(left)) == (4, 0)  # exit 4; nothing in the store, not even a temp file
    _one_line(Path(f"{out}.err").read_text(), advice)
    _assert_nothing_written(sqlite_catalogue, source, events)


# ------------------------------------------------------------------ thumbnails written by the analysis


@pytest.mark.parametrize("point", ["tmp", "write", "fsync", "publish"])
def test_a_full_store_while_storing_thumbnails_leaves_no_temp_file(catalogue: Catalogue, point: str) -> None:
    clip = make_video(catalogue.home / "clip.mp4", seconds=1.0, size=(160, 120))
    item = catalogue.json("add", clip, "--no-analysis")["results"][0]
    events = _events(catalogue)
    result = catalogue.run("analyze", str(item["id"]), env={faults.ENV_FAIL_AT: f"{point}:ENOSPC"})
    assert result.exit_code == 4, result.output
    _one_line(result.stderr, FULL)
    store = catalogue.root / "store"
    assert _files(store / "tmp") == [] and _files(store / "derived") == []
    assert _events(catalogue) == events
    assert catalogue.json("fsck", code=3)["problems"][0]["kind"] == "analysis-pending"
    assert catalogue.json("analyze", str(item["id"]))["results"][0]["analysis"] == "ok"


# ------------------------------------------------------------------ the commit fails after the publish


def _set_aside(catalogue: Catalogue, source: Source, stderr: str) -> None:
    """The copy is in store/orphans/ (whole, read-only), named in the one line; nothing else is left."""
    sha = hashlib.sha256(source.data).hexdigest()
    store = catalogue.root / "store"
    orphan = store / "orphans" / sha
    _one_line(stderr, f"moved to {orphan} ")
    assert _files(store / "objects") == [] and _files(store / "tmp") == []
    assert _files(store / "orphans") == [orphan] and orphan.read_bytes() == source.data
    assert catalogue.json("list")["items"] == [] and source.untouched()
    report = catalogue.json("fsck")
    assert report["problems"] == [] and report["quarantined"] == 1
    assert catalogue.json("add", source.path, "--no-analysis")["results"][0]["status"] == "added"
    assert catalogue.json("verify")["ok"] is True


@pytest.mark.parametrize("error", ["ENOSPC", "EIO"])
def test_a_failed_commit_sets_the_published_copy_aside(catalogue: Catalogue, error: str) -> None:
    source = Source(catalogue.home / "clip.mp4", 3 << 20)
    events = _events(catalogue)
    result = catalogue.run("add", source.path, env={faults.ENV_FAIL_AT: f"commit:{error}"})
    assert result.exit_code == 4, result.output
    assert _events(catalogue) == events
    _set_aside(catalogue, source, result.stderr)


def test_a_failed_commit_while_another_command_writes_leaves_the_copy_and_says_where(
    catalogue: Catalogue,
) -> None:
    """Another process holds the writers' lock (it could be adding the same bytes): the copy stays
    published and the line names it and the repair."""
    source = Source(catalogue.home / "clip.mp4", 1 << 20)
    lock = catalogue.root / "store" / "lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_SHARED, str(lock)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        result = catalogue.run("add", source.path, env={faults.ENV_FAIL_AT: "commit:ENOSPC"})
    finally:
        holder.kill()
        holder.wait()
    sha = hashlib.sha256(source.data).hexdigest()
    published = catalogue.root / "store" / "objects" / sha[:2] / sha[2:4] / sha
    assert result.exit_code == 4, result.output
    _one_line(result.stderr, f"stays at {published} with no record: run `evidence fsck --repair`")
    assert published.read_bytes() == source.data
    repaired = catalogue.json("fsck", "--repair")
    assert [p["kind"] for p in repaired["problems"]] == ["unrecorded-object"] and repaired["quarantined"] == 1


HOLD_SHARED = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_SH)
print("held", flush=True)
time.sleep(600)
"""


@pytest.mark.skipif(not _namespaces_work(), reason="needs `unshare -rm` (user and mount namespaces)")
def test_a_really_full_sqlite_database_at_the_commit(tmp_path: Path) -> None:
    """The catalogue's SQLite database lives on a tiny tmpfs (a private mount namespace) that is filled
    up after `init`: the store has room, so the copy is published, and SQLite itself says "database or
    disk is full" when the add commits."""
    home, db = tmp_path / "case", tmp_path / "db"
    home.mkdir()
    db.mkdir()
    source = Source(tmp_path / "big.bin", 3 << 20)
    out = tmp_path / "inside.txt"
    script = """
set -e
mount -t tmpfs -o size=2m tmpfs "$DB"
"$@" init "$HOME_DIR" >/dev/null
avail=$(df -k --output=avail "$DB" | tail -1)
dd if=/dev/zero of="$DB/fill" bs=1k count=$((avail - 40)) 2>/dev/null  # room for SQLite's shared memory only
set +e
"$@" --catalogue "$HOME_DIR" add "$SOURCE" --no-analysis 2>"$OUT.err"
echo "$?" >"$OUT"
"""
    env = {
        **_env(),
        "EVIDENCE_DATABASE_URL": f"sqlite:///{db}/catalogue.sqlite",
        "DB": str(db),
        "HOME_DIR": str(home),
        "SOURCE": str(source.path),
        "OUT": str(out),
    }
    cmd = [sys.executable, "-m", "evidence"]
    subprocess.run(["unshare", "-rm", "sh", "-c", script, "sh", *cmd], env=env, check=True, timeout=120)
    assert out.read_text().split() == ["4"]
    stderr = Path(f"{out}.err").read_text()
    assert "database or disk is full" in stderr
    sha = hashlib.sha256(source.data).hexdigest()
    orphan = home / ".evidence" / "store" / "orphans" / sha
    _one_line(stderr, f"moved to {orphan} ")
    store = home / ".evidence" / "store"
    assert _files(store / "objects") == [] and _files(store / "tmp") == []
    assert _files(store / "orphans") == [orphan] and orphan.read_bytes() == source.data


# ------------------------------------------------------------------ the refusal before anything is written


class _Statvfs:
    """What os.statvfs says about a filesystem with `free` bytes available."""

    def __init__(self, free: int) -> None:
        self.f_frsize = 4096
        self.f_bavail = free // self.f_frsize


def test_not_enough_space_states_the_safety_margin(
    sqlite_catalogue: Catalogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """12 MiB free is more than the 5 MiB file: the refusal says that a 16 MiB margin is kept too."""
    cat = sqlite_catalogue
    source = Source(cat.home / "clip.bin", 5 << 20)
    events = _events(cat)
    monkeypatch.setattr(os, "statvfs", lambda _path: _Statvfs(12 << 20))
    result = cat.run("add", source.path)
    assert result.exit_code == 4, result.output
    _one_line(
        result.stderr,
        "not enough free space in the evidence store: needs 5.0 MiB plus a 16.0 MiB safety margin",
    )
    assert "12.0 MiB free; free some space and run the command again" in result.stderr
    monkeypatch.undo()
    _assert_nothing_written(cat, source, events)

    cat.ok("add", source.path, "--no-analysis")
    monkeypatch.setattr(os, "statvfs", lambda _path: _Statvfs(1 << 20))
    bag = cat.run("export", "--bagit", tmp_path / "bag")
    assert bag.exit_code == 4, bag.output
    _one_line(bag.stderr, "plus a 16.0 MiB safety margin (kept for the catalogue and its logs), 1.0 MiB free")
    assert "not enough free space for the bag in" in bag.stderr and not (tmp_path / "bag").exists()
