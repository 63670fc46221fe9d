"""Abrupt death (os._exit, as on a power cut or kill -9) at every step of `evidence add`: the
catalogue is left as it was before, or holds the complete item; `evidence fsck` finds what was left
behind, `fsck --repair` repairs it, and running the same add again converges."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import Catalogue
from mediagen import make_video

from evidence import faults

BEFORE, AFTER = "before", "after"


@dataclass(frozen=True)
class Case:
    point: str
    file: str  # "clip": a resized copy of the catalogued clip; "big": 2.5 MiB that are not media
    state: str  # BEFORE: no item; AFTER: the item is complete
    analysis: str  # the new item's analysis after the crash ("" when there is no item)
    leftovers: tuple[str, ...]  # what `evidence fsck` reports
    then: tuple[str, ...] = ()  # what brings the analysis (and its relations) up to date afterwards


PENDING = ("analysis-pending",)
CASES = [
    Case("preflight", "clip", BEFORE, "", ()),
    Case("tmp", "clip", BEFORE, "", ()),
    Case("write", "clip", BEFORE, "", ("temp-file",)),
    Case("copy", "big", BEFORE, "", ("temp-file",)),
    Case("copy", "clip", BEFORE, "", ("temp-file",)),
    Case("fsync", "clip", BEFORE, "", ("temp-file",)),
    Case("publish", "clip", BEFORE, "", ("temp-file",)),
    Case("published", "clip", BEFORE, "", ("temp-file", "unrecorded-object")),
    Case("commit", "clip", BEFORE, "", ("unrecorded-object",)),
    Case("committed", "clip", AFTER, "pending", PENDING, ("--pending",)),
    Case("probed", "clip", AFTER, "pending", PENDING, ("--pending",)),
    Case("media", "clip", AFTER, "failed:", (), ("--failed",)),
    Case("frames", "clip", AFTER, "pending", PENDING, ("--pending",)),
    Case("index", "clip", AFTER, "pending", PENDING, ("--pending",)),
    Case("analysis-commit", "clip", AFTER, "pending", PENDING, ("--pending",)),
    Case("suggest", "clip", AFTER, "ok", (), ("REF",)),
]


def test_every_checkpoint_has_a_case() -> None:
    assert {c.point for c in CASES} == set(faults.POINTS)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("crash-media")
    big = folder / "big.bin"
    big.write_bytes(hashlib.shake_256(b"crash").digest(5 << 19))  # 2.5 MiB, several copy chunks
    return {
        "original": make_video(folder / "original.mp4", seconds=4, size=(320, 240), seed=7),
        "clip": make_video(folder / "copy.mp4", seconds=4, size=(240, 180), seed=7),
        "big": big,
    }


def _store(catalogue: Catalogue, area: str) -> list[Path]:
    base = catalogue.root / "store" / area
    return sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else []


def _crash(catalogue: Catalogue, source: Path, point: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, faults.ENV_CRASH_AT: point, "EVIDENCE_ACTOR": "tester"}
    env.pop("EVIDENCE_DATABASE_URL", None)
    if catalogue.database_url:
        env["EVIDENCE_DATABASE_URL"] = catalogue.database_url
    cmd = [sys.executable, "-m", "evidence", "--catalogue", str(catalogue.root), "add", str(source)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


def _items_by_sha(catalogue: Catalogue) -> dict[str, dict[str, object]]:
    return {i["sha256"]: i for i in catalogue.json("list")["items"]}


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[f"{c.point}-{c.file}" for c in CASES])
def test_crash_then_fsck_repair_and_rerun_converge(
    catalogue: Catalogue, media: dict[str, Path], case: Case
) -> None:
    original = catalogue.json("add", media["original"])["results"][0]
    source = media[case.file]
    data = source.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    mtime = source.stat().st_mtime_ns

    crashed = _crash(catalogue, source, case.point)
    # the worker dies at "media", not the command: the item is kept, its analysis marked failed
    assert crashed.returncode == (3 if case.point == "media" else faults.CRASH_EXIT), crashed.stderr

    items = _items_by_sha(catalogue)
    if case.state == BEFORE:
        assert set(items) == {original["sha256"]}
    else:
        assert set(items) == {original["sha256"], sha}
        shown = catalogue.json("show", sha)
        assert len(shown["acquisitions"]) == 1
        assert {"preserve", "acquire"} <= {e["action"] for e in shown["events"]}
        assert str(items[sha]["analysis"]).startswith(case.analysis)
        stored = catalogue.root / "store" / "objects" / sha[:2] / sha[2:4] / sha
        assert stored.read_bytes() == data

    if case.point == "copy" and case.file == "big":  # died mid-stream: a partial copy is left
        assert [p.stat().st_size for p in _store(catalogue, "tmp")] == [1 << 20]

    found = catalogue.run("fsck", "--json")
    doc = _json(found)
    assert sorted(p["kind"] for p in doc["problems"]) == sorted(case.leftovers), doc
    assert not any(p["repaired"] for p in doc["problems"])
    assert found.exit_code == (5 if set(case.leftovers) - set(PENDING) else 3 if case.leftovers else 0)

    repaired = catalogue.run("fsck", "--repair", "--json")
    doc = _json(repaired)
    assert repaired.exit_code == (3 if case.leftovers == PENDING else 0), repaired.output
    assert doc["ok"] is True
    assert doc["repaired"] == sum(1 for k in case.leftovers if k not in PENDING)
    assert _store(catalogue, "tmp") == []
    objects = {p.name for p in _store(catalogue, "objects")}
    assert objects == set(_items_by_sha(catalogue))  # every object is catalogued
    if "unrecorded-object" in case.leftovers:
        assert [p.name for p in _store(catalogue, "orphans")] == [sha]  # kept, not deleted
    assert _actions(catalogue).count("fsck-repair") == doc["repaired"]

    # adding a duplicate whose analysis failed says so (exit 3) until it is analysed again
    again = catalogue.json("add", source, code=3 if case.analysis == "failed:" else 0)["results"][0]
    assert again["status"] == ("added" if case.state == BEFORE else "duplicate")
    for how in case.then:
        catalogue.json("analyze", again["id"] if how == "REF" else how)

    items = _items_by_sha(catalogue)
    assert set(items) == {original["sha256"], sha}
    assert items[sha]["analysis"] == "ok"
    shown = catalogue.json("show", sha)
    assert len(shown["acquisitions"]) == (1 if case.state == BEFORE else 2)
    if case.file == "clip":
        assert catalogue.json("frames", sha)["frames"]
        clusters = catalogue.json("dupes")["clusters"]
        assert [sorted(m["id"] for m in c) for c in clusters] == [sorted([original["id"], again["id"]])]
    assert catalogue.json("verify")["ok"] is True
    assert catalogue.json("fsck")["problems"] == []
    assert source.read_bytes() == data and source.stat().st_mtime_ns == mtime  # the original untouched
    then = "".join(f" + analyze {how}" for how in case.then)
    found_text = ", ".join(case.leftovers) or "clean"
    print(f"\nMATRIX {case.point} {case.file} {case.state} {case.analysis or '-'} | {found_text} | add{then}")


def _json(result: Any) -> Any:
    return json.loads(result.stdout)


def _actions(catalogue: Catalogue) -> list[str]:
    exported = catalogue.run("export")
    assert exported.exit_code == 0, exported.output
    return [e["action"] for e in json.loads(exported.stdout)["events"]]
