"""Issue 17: formula payloads that slipped past the CSV neutralisation (a leading newline, space or NBSP
before `=`, a tab or CR, fullwidth ＝ ＋ － ＠, and `;=` / `,=` inside a cell that a spreadsheet splits
on `;`). Every CSV the tool writes (each export table, the vocabulary file) is read back as a
spreadsheet would, with `,` and with `;` as the separator, and no cell may start a formula; the JSON
export keeps every payload exactly; the vocabulary file reads back exactly."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from conftest import Catalogue
from mediagen import make_image
from typer.testing import CliRunner

from evidence.cli.main import app
from evidence.core import vocab_io
from evidence.exports.render.tables import COLUMNS, csv_cell

PAYLOADS = [
    '\n=HYPERLINK("http://evil.example","x")',
    " =1+1",
    "\xa0=1+1",
    "\u2003@SUM(A1)",  # em space
    "\u200b=1+1",  # zero-width space
    "\t=1+1",
    "\tplain after a tab",
    "\r=1+1",
    "＝1+1",
    "＋1+1",
    "－1+1",
    "＠SUM(A1)",
    "note;=1+1",
    "note,=1+1",
    "note; =1+1",
    "note;\xa0+1",
    "note,＝1+1",
    "note\n-1+1",
    "'=1+1",
    "=cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
]
SAFE = ["plain text", "e-mail", "x=y", "a; b", "1,5 km", "it's", "АК-74М"]
_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][+-]?\d+)?$")


def runs_as_formula(cell: str) -> bool:
    """What a spreadsheet does with a cell it read (independent of evidence.core.csvsafe): it skips
    whitespace and invisible characters, folds compatibility forms, and a =, +, - or @ then starts a
    formula; a leading single quote makes the cell text; a plain number is a number."""
    if cell[:1] in ("\t", "\r"):
        return True
    stripped = unicodedata.normalize("NFKC", cell).lstrip()
    while stripped[:1] and unicodedata.category(stripped[0]) == "Cf":
        stripped = stripped[1:].lstrip()
    return stripped[:1] in ("=", "+", "-", "@") and not _NUMBER.match(stripped)


def read(text: str, separator: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))


def assert_inert(text: str, where: str) -> None:
    for separator in (",", ";"):
        for number, cells in enumerate(read(text, separator)):
            for cell in cells:
                assert not runs_as_formula(cell), (where, separator, number, cell)


# ------------------------------------------------------------------------------ the cell rule


@pytest.mark.parametrize("payload", PAYLOADS + SAFE)
def test_a_cell_reads_back_inert_with_either_separator_and_restores_exactly(payload: str) -> None:
    from evidence.core import csvsafe

    cells = ["1", csv_cell(payload), csv_cell(-3.5), csv_cell(payload + " end"), csv_cell({"note": payload})]
    line = csvsafe.row(cells)
    assert_inert(line, repr(payload))
    [back] = read(line, ",")
    assert back[2] == "-3.5"  # a number stays a readable number
    assert json.loads(back[4]) == {"note": payload}  # nested data stays valid JSON, payload intact
    assert csvsafe.restore(csvsafe.neutralise(payload)) == payload
    assert vocab_io.restore(vocab_io.neutralise(payload)) == payload
    if payload in SAFE:
        assert csv_cell(payload) == payload  # nothing to neutralise: written as it is


def test_the_existing_neutralisations_are_kept() -> None:
    assert csv_cell("-2+3") == "'-2+3" and csv_cell("\t=1") == "'\t=1"
    assert csv_cell(-73.98) == "-73.98" and csv_cell({"b": "=x", "a": 1}) == '{"b":"=x","a":1}'


# ------------------------------------------------------------------------------ every CSV the tool writes


class Payloaded:
    def __init__(self, cat: Catalogue, ids: dict[str, int]) -> None:
        self.cat, self.ids = cat, ids


@pytest.fixture(scope="module")
def payloaded(tmp_path_factory: pytest.TempPathFactory) -> Payloaded:
    """One catalogue with every payload in every text field a person can fill: the file name, the
    acquisition's note, claimed-by and collected-by, a tag's note and annotator, a claim's claimant,
    text and place, a description's source and note, a term's label, alias and note, a relation's note,
    and the custody log's actor."""
    home = tmp_path_factory.mktemp("csv") / "case"
    home.mkdir()
    cat = Catalogue(home, "sqlite", None, CliRunner())
    assert cat.runner.invoke(app, ["init", str(home)], env=cat.env).exit_code == 0
    media = home.parent / "media"
    media.mkdir()
    first = make_image(media / "first.png", size=(64, 48), seed=100)
    base = cat.json("add", first)["results"][0]["id"]  # analysed: the frames table has a row
    ids: dict[str, int] = {}
    for n, payload in enumerate(PAYLOADS):
        env = {"EVIDENCE_ACTOR": payload}
        name = media / f"{payload.replace('/', '|')}.png"
        make_image(name, size=(64, 48), seed=n)
        who = ["--claimed-by", payload, "--collected-by", payload, "--note", payload]
        added = cat.run("add", name, "--no-analysis", "--json", *who, env=env)
        assert added.exit_code == 0, added.output
        item = str(json.loads(added.stdout)["results"][0]["id"])
        ids[payload] = int(item)
        label = f"label {n} {payload}"
        for args in (
            ["terms", "add", label, "--alias", f"alias {n} {payload}", "--note", payload],
            ["tag", item, label, "--note", payload, "--by", payload],
            ["claim", item, "--by", payload, "--text", payload, "--place", f"{payload} {n}"],
            ["describe", item, label, "--source", payload, "--note", payload, "--by", payload],
            ["relate", str(base), item, "--confirm", "--as", "partial", "--note", payload],
        ):
            done = cat.run(*args, env=env)
            assert done.exit_code == 0, (args, done.output)
    return Payloaded(cat, ids)


@pytest.mark.parametrize("table", list(COLUMNS))
def test_every_export_table_is_inert_read_with_either_separator(payloaded: Payloaded, table: str) -> None:
    printed = payloaded.cat.ok("export", "--format", "csv", "--table", table).stdout
    assert_inert(printed, table)
    rows = read(printed, ",")
    assert rows[0] == list(COLUMNS[table]) and len(rows) > 1


def test_the_vocabulary_file_is_inert_and_reads_back_exactly(payloaded: Payloaded, tmp_path: Path) -> None:
    cat = payloaded.cat
    exported = cat.ok("terms", "export", "--format", "csv").stdout
    assert_inert(exported, "terms export")
    path = tmp_path / "vocabulary.csv"
    path.write_text(exported, encoding="utf-8")
    notes = {e.note for e in vocab_io.from_csv(exported)}
    for payload in PAYLOADS:  # every quote the export added is taken off again (import trims cells)
        assert payload.strip() in notes, payload


def test_the_json_export_keeps_every_payload_exactly(payloaded: Payloaded) -> None:
    doc: dict[str, Any] = json.loads(payloaded.cat.ok("export").stdout)
    by_id = {item["id"]: item for item in doc["items"]}
    for payload, item_id in payloaded.ids.items():
        item = by_id[item_id]
        [acq] = item["acquisitions"]
        assert (acq["note"], acq["claimed_by"], acq["collected_by"]) == (payload, payload, payload)
        [tag] = item["tags"]
        assert (tag["note"], tag["annotator"]) == (payload, payload)
        [claim] = item["claims"]
        assert claim["statement"] == payload  # (a claimant's name is normalised: it is matched by name)
        [description] = item["descriptions"]
        assert (description["source"], description["note"]) == (payload, payload)
    actors = {e["actor"] for e in doc["events"]}
    assert set(PAYLOADS) <= actors
