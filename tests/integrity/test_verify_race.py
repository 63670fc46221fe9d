"""`verify` while other commands add files: an object published a moment before its record is committed
is never reported as untracked, and no false failure is written into the custody log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import Catalogue
from tampering import chain


def _env(cat: Catalogue, **extra: str) -> dict[str, str]:
    env = {**os.environ, "EVIDENCE_ACTOR": "tester", **extra}
    env.pop("EVIDENCE_DATABASE_URL", None)
    env.pop("EVIDENCE_TEST_PAUSE_AT", None)
    if cat.database_url:
        env["EVIDENCE_DATABASE_URL"] = cat.database_url
    env.update(extra)
    return env


def _add(cat: Catalogue, path: Path, **extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "evidence", "--catalogue", str(cat.root), "add", str(path), "--no-analysis"],
        env=_env(cat, **extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(path: Path, proc: subprocess.Popen[str], limit: float = 120.0) -> None:
    deadline = time.monotonic() + limit
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def _verify_events(cat: Catalogue) -> list[dict[str, Any]]:
    return [r.details for r in chain(cat) if r.action == "verify"]


def test_an_object_published_but_not_yet_committed_is_not_untracked(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    source = tmp_path / "in-flight.txt"
    source.write_text("published a moment before its record\n")
    release = tmp_path / "release"
    adding = _add(catalogue, source, EVIDENCE_TEST_PAUSE_AT=f"published:{release}")
    try:
        _wait_for(Path(f"{release}.paused"), adding)
        report = catalogue.json("verify")  # exit 0: nothing is wrong
        assert report["ok"] is True and report["problems"] == []
        assert any("not catalogued yet" in w for w in report["warnings"]), report["warnings"]
    finally:
        release.touch()
        _out, err = adding.communicate(timeout=120)
    assert adding.returncode == 0, err
    assert _verify_events(catalogue)[-1]["ok"] is True
    settled = catalogue.json("verify")
    assert settled["ok"] is True and settled["warnings"] == []


def test_an_object_nobody_is_adding_is_still_untracked(catalogue: Catalogue, tmp_path: Path) -> None:
    source = tmp_path / "planted.txt"
    source.write_text("catalogued, then its record goes\n")
    catalogue.ok("add", source, "--no-analysis")
    stored = next(p for p in (catalogue.root / "store" / "objects").rglob("*") if p.is_file())
    planted = stored.with_name("0" * 64)
    planted.parent.mkdir(parents=True, exist_ok=True)
    os.link(stored, planted)  # a well-formed name the catalogue never listed, while nothing writes
    report = catalogue.json("verify", code=5)
    assert [p["kind"] for p in report["problems"]] == ["untracked"]


@pytest.mark.slow
def test_verify_in_a_loop_beside_parallel_adds_never_fails(catalogue: Catalogue, tmp_path: Path) -> None:
    rounds, writers = 50, 3
    stop = threading.Event()
    added: list[int] = []
    errors: list[str] = []

    def keep_adding(w: int) -> None:
        n = 0
        while not stop.is_set():
            path = tmp_path / f"w{w}-{n}.txt"
            path.write_text(f"writer {w} file {n}\n" * (1 + n % 7))
            proc = _add(catalogue, path)
            _out, err = proc.communicate(timeout=300)
            if proc.returncode != 0:
                errors.append(err)
            added.append(1)
            n += 1

    threads = [threading.Thread(target=keep_adding, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    failures = []
    try:
        for _ in range(rounds):
            result = catalogue.run("verify", "--json")
            if result.exit_code != 0:
                failures.append(result.output)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=600)
    assert errors == []
    assert failures == [], failures[:3]
    assert len(added) >= writers  # the adds really ran beside the verifies
    logged = _verify_events(catalogue)
    assert len(logged) == rounds and all(d["ok"] is True for d in logged)
    assert json.loads(catalogue.run("verify", "--json").stdout)["ok"] is True
