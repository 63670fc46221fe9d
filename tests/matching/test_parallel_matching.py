"""Two copies of one footage analysed at the same moment by two processes still find each other.

Why it holds (docs/architecture.md, "Matching in parallel"): every write transaction takes the
catalogue's write lock (SQLite's own, PostgreSQL's advisory lock), so analyses commit one after the
other; each lookup starts after its own item's analysis is committed, in a fresh snapshot. Of two copies,
the one committed second therefore sees the first. The tests hold both processes at the worst moments
(the `EVIDENCE_TEST_PAUSE_AT` points of evidence/faults.py) and check that the pair is related once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import Catalogue
from mediagen import make_video


def _add(cat: Catalogue, path: Path, pause: str) -> subprocess.Popen[str]:
    env = {**os.environ, "EVIDENCE_ACTOR": "tester", "EVIDENCE_TEST_PAUSE_AT": pause}
    env.pop("EVIDENCE_DATABASE_URL", None)
    if cat.database_url:
        env["EVIDENCE_DATABASE_URL"] = cat.database_url
    return subprocess.Popen(
        [sys.executable, "-m", "evidence", "--catalogue", str(cat.root), "add", str(path), "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(path: Path, procs: list[subprocess.Popen[str]], limit: float = 300.0) -> None:
    deadline = time.monotonic() + limit
    while not path.exists():
        for proc in procs:
            assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


@pytest.mark.parametrize(
    "point",
    [
        "frames",  # both analysed, neither committed: the commits race each other
        "suggest",  # both committed, neither has looked up yet: both lookups see the other
    ],
)
def test_copies_analysed_at_the_same_moment_find_each_other(
    catalogue: Catalogue, tmp_path: Path, point: str
) -> None:
    original = make_video(tmp_path / "original.mp4", seconds=6.0, scenes=4, seed=11)
    reupload = make_video(tmp_path / "reupload.mp4", seconds=6.0, scenes=4, seed=11, size=(256, 192))
    releases = [tmp_path / "release-a", tmp_path / "release-b"]
    procs = [
        _add(catalogue, clip, f"{point}:{release}")
        for clip, release in zip((original, reupload), releases, strict=True)
    ]
    try:
        for release in releases:
            _wait_for(Path(f"{release}.paused"), procs)
    finally:
        for release in releases:
            release.touch()
    outputs = [proc.communicate(timeout=300) for proc in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, (out, err)
    ids = sorted(json.loads(out)["results"][0]["id"] for out, _err in outputs)
    clusters = catalogue.json("dupes")["clusters"]
    assert [sorted(i["id"] for i in cluster) for cluster in clusters] == [ids]
    review = catalogue.json("review")["suggestions"]
    pairs = [tuple(sorted((s["a"]["id"], s["b"]["id"]))) for s in review]
    assert pairs == [tuple(ids)], "one relation between the two, suggested once"
