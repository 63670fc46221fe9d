"""The `evidence` process ends without the interpreter's teardown (`cli.main.run`): what a command
prints through a pipe still arrives whole, and its exit code is the documented one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from mediagen import make_image


def evidence(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evidence", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_a_command_piped_output_arrives_whole_and_exit_codes_hold(tmp_path: Path) -> None:
    assert evidence("init", cwd=tmp_path).returncode == 0
    photos = [make_image(tmp_path / f"photo{k}.png", seed=k) for k in range(3)]
    added = evidence("add", "--json", *map(str, photos), cwd=tmp_path)  # analysed in the worker
    assert added.returncode == 0, added.stderr
    document = json.loads(added.stdout)  # stdout is a pipe here: block-buffered until flushed
    assert [r["status"] for r in document["results"]] == ["added"] * 3
    assert {r["analysis"] for r in document["results"]} == {"ok"}

    refused = evidence("add", "--posted-at", "yesterday-ish", str(photos[0]), cwd=tmp_path)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.splitlines() == [
        "evidence: --posted-at: 'yesterday-ish' is not an ISO-8601 date or time "
        "(e.g. 2016-03-24 or 2016-03-24T10:00Z)"
    ]
    missing = evidence("--catalogue", str(tmp_path / "nowhere"), "list", cwd=tmp_path)
    assert missing.returncode == 2 and "no evidence catalogue" in missing.stderr
