"""A team at work: PostgreSQL records, originals in an S3 bucket (SeaweedFS), analysis on Celery workers
(Redis). 40 files are added from two processes while 3 workers run; one worker is killed (SIGKILL, with
its pool and its analysis process, as a lost machine) in the middle of a job. In the end every item is
analysed exactly once, every object is in the bucket under its SHA-256, `verify` and `fsck` are clean,
and every pair of copies is related once, though the two were analysed at the same time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import pytest
from conftest import Catalogue, pg_url, reset_postgres
from mediagen import make_video
from redisserver import queue_url as queue_url  # the fixture: a Redis database of the test's own
from s3server import s3_store_url as s3_store_url  # the fixture: a fresh bucket
from workers import WAIT, Workers

from evidence.cli.main import app

PAIRS = 20
VISIBILITY = "30"  # seconds before Redis gives a lost worker's job to another (an hour by default)


def _add(cat: Catalogue, env: dict[str, str], paths: list[Path]) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "evidence", "--catalogue", str(cat.root), "add", *map(str, paths), "--json"]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
@pytest.mark.skipif(
    pg_url() is None, reason="no PostgreSQL server configured (set EVIDENCE_TEST_DATABASE_URL)"
)
def test_forty_files_two_adders_three_workers_one_killed(
    tmp_path: Path, s3_store_url: str, queue_url: str
) -> None:
    url = pg_url()
    assert url is not None
    reset_postgres(url)
    home = tmp_path / "team"
    home.mkdir()
    cat = Catalogue(home, "postgresql", url)
    init = cat.runner.invoke(app, ["init", str(home)], env={**cat.env, "EVIDENCE_STORE_URL": s3_store_url})
    assert init.exit_code == 0, init.output
    originals = [make_video(tmp_path / f"original-{i}.mp4", seconds=3.0, seed=100 + i) for i in range(PAIRS)]
    copies = [
        make_video(tmp_path / f"copy-{i}.mp4", seconds=3.0, seed=100 + i, size=(256, 192))
        for i in range(PAIRS)
    ]
    logs = tmp_path / "logs"
    logs.mkdir()
    pool = Workers(cat, queue_url, logs)
    settings = {"EVIDENCE_QUEUE_VISIBILITY_TIMEOUT": VISIBILITY}
    release = tmp_path / "never-released"
    try:
        victim = pool.start(extra={**settings, "EVIDENCE_TEST_PAUSE_AT": f"frames:{release}"})
        pool.start(extra=settings)
        pool.start(extra=settings)
        adders = [_add(cat, pool.env(settings), files) for files in (originals, copies)]
        deadline = time.monotonic() + WAIT
        while not Path(f"{release}.paused").exists():  # the victim holds a job, analysed, not recorded
            assert time.monotonic() < deadline, pool.logs()
            time.sleep(0.05)
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
        added = []
        for adder in adders:
            out, err = adder.communicate(timeout=WAIT)
            assert adder.returncode == 0, err
            added += json.loads(out)["results"]
        assert len({r["sha256"] for r in added}) == 2 * PAIRS

        def jobs() -> dict[str, object]:
            result = cat.run("jobs", "--all", "--json", env={"EVIDENCE_QUEUE_URL": queue_url})
            assert result.exit_code == 0, result.output
            document: dict[str, object] = json.loads(result.stdout)
            return document

        while jobs()["counts"] != {"queued": 0, "running": 0, "done": 2 * PAIRS, "failed": 0}:
            assert time.monotonic() < deadline + WAIT, f"{jobs()}\n{pool.logs()}"
            time.sleep(0.5)
    finally:
        pool.stop()

    final = jobs()
    assert final["waiting_in_queue"] == 0
    taken_again = [j for j in final["jobs"] if j["attempts"] > 1]  # type: ignore[attr-defined]
    assert taken_again, "the killed worker's job was taken again by another"

    items = cat.json("list", "--limit", "100")["items"]
    assert len(items) == 2 * PAIRS and {i["analysis"] for i in items} == {"ok"}
    analyses = Counter(
        sum(1 for e in cat.json("show", i["sha256"])["events"] if e["action"] == "analyse") for i in items
    )
    assert analyses == Counter({1: 2 * PAIRS}), "every item analysed exactly once"

    parts = urlsplit(s3_store_url)
    bucket, prefix = parts.netloc, parts.path.strip("/")
    pages = (
        boto3.client("s3")
        .get_paginator("list_objects_v2")
        .paginate(Bucket=bucket, Prefix=f"{prefix}/objects/")
    )
    keys = {o["Key"] for page in pages for o in page.get("Contents", [])}
    assert keys == {f"{prefix}/objects/{s[:2]}/{s[2:4]}/{s}" for s in (i["sha256"] for i in items)}

    assert cat.json("verify")["ok"] is True
    checked = cat.run("fsck", "--json")
    assert checked.exit_code == 0 and json.loads(checked.stdout)["problems"] == [], checked.output

    by_sha = {r["sha256"]: r["path"] for r in added}
    clusters = cat.json("dupes")["clusters"]
    found = sorted(sorted(Path(by_sha[i["sha256"]]).name for i in cluster) for cluster in clusters)
    assert found == sorted([f"copy-{i}.mp4", f"original-{i}.mp4"] for i in range(PAIRS))
    pairs = [tuple(sorted((s["a"]["id"], s["b"]["id"]))) for s in cat.json("review")["suggestions"]]
    assert len(pairs) == len(set(pairs)) == PAIRS, "each pair related once"
