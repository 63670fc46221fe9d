"""An option that takes one value, given twice, is refused (exit 2, one line) instead of the last value
silently winning; flags and options that take a list may repeat."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import Catalogue


def _refused(result: Any, *needles: str) -> str:
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("evidence: "), result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return str(lines[0])


def test_add_with_a_repeated_source_url_is_refused_and_adds_nothing(
    sqlite_catalogue: Catalogue, files: Path
) -> None:
    cat = sqlite_catalogue
    clip = files / "note-0.txt"
    result = cat.run(
        "add", clip, "--source-url", "https://a.example/1", "--source-url", "https://b.example/2"
    )
    _refused(result, "--source-url was given twice", "give it once", "--manifest")
    assert cat.json("list")["items"] == []
    # a value that reads like the option is the option's value, not a second --note
    (added,) = cat.json("add", clip, "--note", "--note", "--no-analysis", "--no-analysis")["results"]
    (acq,) = cat.json("show", str(added["id"]))["acquisitions"]
    assert acq["note"] == "--note"


def test_other_commands_and_the_global_options_refuse_a_repeat_too(
    sqlite_catalogue: Catalogue, files: Path, tmp_path: Path
) -> None:
    cat = sqlite_catalogue
    cat.ok("add", files / "note-0.txt", "--no-analysis")
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    line = _refused(cat.run("export", "-o", first, "--output", second), "-o/--output was given twice")
    assert "--manifest" not in line  # the hint is add's own
    assert not first.exists() and not second.exists()
    _refused(cat.run("tag", "1", "rifle", "--note", "a", "--note", "b"), "--note was given twice")
    assert cat.json("tags", "1")["tags"] == []
    _refused(cat.run("--catalogue", cat.root, "list"), "--catalogue was given twice")
    # options that take a list repeat as they always did
    found = cat.run("search", "--text", "note", "--text", "0.txt", "--json")
    assert found.exit_code == 0, found.output
    assert [r["id"] for r in json.loads(found.stdout)["results"]] == [1]
