"""Several processes adding to one catalogue at once: all preserved, no "database is locked"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Catalogue

PROCESSES = 4
FILES_EACH = 20


@pytest.mark.slow
def test_four_processes_adding_twenty_files_each(catalogue: Catalogue, tmp_path: Path) -> None:
    folders = []
    for p in range(PROCESSES):
        folder = tmp_path / f"batch{p}"
        folder.mkdir()
        for f in range(FILES_EACH):
            (folder / f"{f:02d}.txt").write_text(f"process {p} file {f}\n")
        # the same content in every batch too, so processes race on one item
        (folder / "shared.txt").write_text("identical in every batch\n")
        folders.append(folder)
    env = {**os.environ, "EVIDENCE_ACTOR": "tester"}
    env.pop("EVIDENCE_DATABASE_URL", None)
    if catalogue.database_url:
        env["EVIDENCE_DATABASE_URL"] = catalogue.database_url
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "evidence",
                "--catalogue",
                str(catalogue.root),
                "add",
                str(folder),
                "--json",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for folder in folders
    ]
    outputs = [proc.communicate(timeout=600) for proc in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert "locked" not in err, err
        assert proc.returncode in (0, 3), err
        results = json.loads(out)["results"]
        assert len(results) == FILES_EACH + 1
        assert all(r["status"] in ("added", "duplicate") for r in results)
    items = catalogue.json("list")["items"]
    assert len(items) == PROCESSES * FILES_EACH + 1
    shared = [i for i in items if i["original_name"] == "shared.txt"]
    assert len(shared) == 1
    shown = catalogue.json("show", str(shared[0]["id"]))
    assert len(shown["acquisitions"]) == PROCESSES
    report = catalogue.json("verify")
    assert report["ok"] is True and report["objects_checked"] == len(items)
