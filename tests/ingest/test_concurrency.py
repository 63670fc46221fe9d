"""Several processes adding to one catalogue at once, with overlapping content: every file preserved
exactly once, one item per distinct content, one acquisition per add of a file, no "database is
locked", the custody chain intact. 8 processes on SQLite, 16 on PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import Catalogue
from sqlalchemy import create_engine, text

FILES_EACH = 25
UNIQUE, SHARED, POOL, TWINS = 16, 4, 3, 2  # per process; POOL draws on POOL_SIZE contents
POOL_SIZE = 4
assert UNIQUE + SHARED + POOL + TWINS == FILES_EACH


def _batch(folder: Path, p: int) -> dict[Path, bytes]:
    """One process's 25 files: its own; the same names and bytes in every batch (one of them
    several copy chunks long); bytes other processes hold under other names; twins in one folder."""
    files: dict[Path, bytes] = {}
    for f in range(UNIQUE):
        files[folder / f"p{p}-u{f:02d}.txt"] = f"process {p} file {f}\n".encode()
    for k in range(SHARED):
        size = (3 << 19) if k == 0 else 64
        files[folder / f"shared-{k}.bin"] = hashlib.shake_256(f"shared {k}".encode()).digest(size)
    for j in range(POOL):
        files[folder / f"p{p}-pool{j}.txt"] = f"pool item {(p + j) % POOL_SIZE}\n".encode()
    for name in ("twin-a", "twin-b")[:TWINS]:
        files[folder / f"p{p}-{name}.txt"] = f"twin of process {p}\n".encode()
    for path, data in files.items():
        path.write_bytes(data)
    return files


@pytest.mark.slow
def test_processes_adding_overlapping_files_at_once(catalogue: Catalogue, tmp_path: Path) -> None:
    processes = 16 if catalogue.backend == "postgresql" else 8
    given: dict[Path, bytes] = {}
    folders = []
    for p in range(processes):
        folder = tmp_path / f"batch{p}"
        folder.mkdir()
        given.update(_batch(folder, p))
        folders.append(folder)
    env = {**os.environ, "EVIDENCE_ACTOR": "tester"}
    env.pop("EVIDENCE_DATABASE_URL", None)
    if catalogue.database_url:
        env["EVIDENCE_DATABASE_URL"] = catalogue.database_url
    cmd = [sys.executable, "-m", "evidence", "--catalogue", str(catalogue.root), "add"]
    started = time.monotonic()
    procs = [
        subprocess.Popen(
            [*cmd, str(folder), "--no-analysis", "--json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for folder in folders
    ]
    outputs = [proc.communicate(timeout=900) for proc in procs]
    wall = time.monotonic() - started

    lock_errors = sum(("locked" in out + err) for out, err in outputs)
    codes = [proc.returncode for proc in procs]
    assert lock_errors == 0, [err for _, err in outputs]
    assert codes == [0] * processes, [err for _, err in outputs]
    results = [r for out, _ in outputs for r in json.loads(out)["results"]]
    assert len(results) == processes * FILES_EACH
    assert all(r["status"] in ("added", "duplicate") and r["error"] is None for r in results)

    contents = {hashlib.sha256(data).hexdigest(): data for data in given.values()}
    assert len(contents) == processes * (UNIQUE + TWINS // 2) + SHARED + POOL_SIZE
    expected_acquisitions = Counter(hashlib.sha256(data).hexdigest() for data in given.values())
    assert sum(r["status"] == "added" for r in results) == len(contents)  # each content added once

    # every file preserved exactly once: one object per distinct content, holding exactly its bytes
    store = catalogue.root / "store"
    objects = sorted(p for p in (store / "objects").rglob("*") if p.is_file())
    assert sorted(p.name for p in objects) == sorted(contents)
    lost = sum(
        1
        for sha, data in contents.items()
        if (store / "objects" / sha[:2] / sha[2:4] / sha).read_bytes() != data
    )
    assert lost == 0
    assert list((store / "tmp").iterdir()) == []

    engine = create_engine(catalogue.url)
    with engine.connect() as conn:
        items = dict(conn.execute(text("SELECT sha256, id FROM item")).all())
        rows = conn.execute(
            text("SELECT i.sha256, a.original_path FROM acquisition a JOIN item i ON i.id = a.item_id")
        ).all()
        actions = Counter(a for (a,) in conn.execute(text("SELECT action FROM event")).all())
    engine.dispose()
    assert sorted(items) == sorted(contents)  # one item per distinct content
    assert Counter(sha for sha, _ in rows) == expected_acquisitions  # one acquisition per add of a file
    assert sorted(path for _, path in rows) == sorted(str(p.resolve()) for p in given)
    assert actions["preserve"] == len(contents) and actions["acquire"] == len(given)

    report = catalogue.json("verify")
    assert report["ok"] is True and report["objects_checked"] == len(contents)
    doc = catalogue.json("fsck", code=3)  # clean, apart from the analysis --no-analysis left pending
    assert doc["ok"] is True and {p["kind"] for p in doc["problems"]} == {"analysis-pending"}
    print(
        f"\nCONCURRENCY {catalogue.backend}: {processes} processes x {FILES_EACH} files = {len(given)} adds, "
        f"{len(contents)} distinct contents, lost = {lost}, lock errors = {lock_errors}, "
        f"exit codes {sorted(set(codes))}, wall {wall:.1f} s"
    )
