"""The host each custody event was made on, shown beside its actor wherever the events reach a person
or leave the catalogue: `show` (table and JSON), `provenance --json`, `export` (JSON, CSV `--table
events`, BagIt's custody log) and both HTML reports, escaped as all outside text is. A machine's name
is not ours to trust: here it is markup."""

from __future__ import annotations

import csv
import io
import json
import socket
from pathlib import Path

import pytest
from conftest import Catalogue
from exports import chain

from evidence.core.custody import walk_chain

HOST = "<b>ws-3</b>&"  # as a hostile or careless machine could be named


@pytest.fixture
def hosted(sqlite_catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch) -> Catalogue:
    """A catalogue whose every event after `init` was made on HOST (the commands run in this process)."""
    monkeypatch.setattr(socket, "gethostname", lambda: HOST)
    cat = sqlite_catalogue
    (cat.home / "tip.txt").write_text("a tip\n")
    cat.ok("add", cat.home / "tip.txt", "--no-analysis")
    cat.ok("case", "new", "Palmyra")
    cat.ok("case", "add", "Palmyra", "1")
    assert cat.json("verify")["ok"] is True
    return cat


def test_show_and_the_json_documents_name_the_host(hosted: Catalogue) -> None:
    cat = hosted
    events = cat.json("show", "1")["events"]
    assert events and {e["host"] for e in events} == {HOST}
    table = cat.ok("show", "1").stdout
    assert f"tester on {HOST}" in table  # printed literally, not read as Rich markup
    assert {e["host"] for e in cat.json("provenance", "1")["events"]} == {HOST}
    exported = json.loads(cat.ok("export").stdout)
    assert {e["host"] for e in exported["events"]} >= {HOST}
    assert list(walk_chain(chain(exported["events"]))) == []  # the exported log re-hashes, hosts and all


def test_the_events_table_has_a_host_column(hosted: Catalogue) -> None:
    rows = list(
        csv.DictReader(io.StringIO(hosted.ok("export", "--format", "csv", "--table", "events").stdout))
    )
    assert rows and list(rows[0])[:4] == ["seq", "at", "actor", "host"]
    assert {r["host"] for r in rows} >= {HOST}


def test_the_bag_s_custody_log_names_the_host(hosted: Catalogue, tmp_path: Path) -> None:
    bag = tmp_path / "bag"
    hosted.ok("export", "--bagit", bag)
    logged = [json.loads(line) for line in (bag / "evidence" / "custody.jsonl").read_text().splitlines()]
    assert {e["host"] for e in logged} >= {HOST}
    assert list(walk_chain(chain(logged))) == []
    assert '"host"' in (bag / "evidence" / "README.txt").read_text()  # the hashing rule names it


@pytest.mark.parametrize("scope", [["1"], ["--case", "Palmyra"]], ids=["item", "case"])
def test_the_reports_show_the_host_beside_the_actor_escaped(
    hosted: Catalogue, tmp_path: Path, scope: list[str]
) -> None:
    out = tmp_path / "report.html"
    hosted.ok("report", *scope, "-o", out)
    page = out.read_text()
    assert "<th>actor (on host)</th>" in page
    assert "<td>tester on &lt;b&gt;ws-3&lt;/b&gt;&amp;</td>" in page
    assert HOST not in page
