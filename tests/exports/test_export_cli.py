"""`evidence export --format json|csv`: the records of every item or of the items named, CSV quoting and
formula neutralisation, refused requests."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pytest
from conftest import Catalogue
from exports import FORMULA, STATEMENT, Seeded, add, chain, logged_events, two_items
from mediagen import make_image

from evidence.catalogue.engine import Database
from evidence.catalogue.snapshot import gather
from evidence.core.custody import walk_chain
from evidence.exports.render.tables import COLUMNS, table_rows


@pytest.fixture
def seeded(catalogue: Catalogue) -> Seeded:
    return two_items(catalogue)


def test_json_export_of_every_item(seeded: Seeded) -> None:
    cat, a, b, ids = seeded
    before = logged_events(cat)
    printed = cat.ok("export").stdout_bytes
    doc = json.loads(printed)
    assert doc["format"] == "evidence-export" and doc["version"] == 1
    assert doc["tool_version"].startswith("evidence ") and doc["exported_at"].endswith("Z")
    assert doc["catalogue"] == {"chain_head": before[-1].hash, "events": len(before)}
    assert [i["id"] for i in doc["items"]] == [a["id"], b["id"]]
    assert [e["seq"] for e in doc["events"]] == [e.seq for e in before]
    assert list(walk_chain(chain(doc["events"]))) == []  # the exported log re-hashes to its head

    first = doc["items"][0]
    assert first["sha256"] == a["sha256"] and first["first_catalogued_at"].endswith("Z")
    [acq] = first["acquisitions"]
    assert acq["note"] == FORMULA and acq["original_name"] == "claimed.mp4" and acq["id"] >= 1
    assert first["frames"] and all("fingerprints" not in f for f in first["frames"])
    assert {f["index"] for f in first["frames"]} >= {0}
    tags = {t["id"]: t for t in first["tags"]}
    assert set(tags) == {ids["tag"], ids["withdrawn"]}
    tag = tags[ids["tag"]]
    assert tag["term"] == {"id": ids["rifle"], "label": "case rifle", "path": "case weapon › case rifle"}
    assert tag["media_fragment"] == "t=1.5,2.25&xywh=10,20,30,40" and tag["box"] == {
        "x": 10,
        "y": 20,
        "w": 30,
        "h": 40,
    }
    assert tag["withdrawn"] is False
    gone = tags[ids["withdrawn"]]
    assert (
        gone["withdrawn"] is True
        and gone["withdrawn_by"] == "bo"
        and gone["withdrawn_at"] == "2024-05-01T12:00:00Z"
    )
    [claim] = first["claims"]
    assert claim["statement"] == STATEMENT and claim["claimant"]["name"] == "@amaq"
    assert claim["place"]["name"] == "Palmyra" and claim["item_ids"] == [a["id"]]
    assert claim["claimed_date"] == "2024-05-01T12:00:00Z"
    [desc] = first["descriptions"]
    assert desc["term"]["label"] == "case compass" and desc["claim_id"] == ids["claim"]
    [rel] = first["relations"]
    assert rel["status"] == "rejected" and rel["other"]["id"] == b["id"] and rel["id"] >= 1
    assert [r["other"]["id"] for r in doc["items"][1]["relations"]] == [a["id"]]
    terms = {t["label"]: t for t in doc["terms"]}
    assert {"case weapon", "case rifle", "case compass", "case helmet"} <= set(terms)  # and the starter ones
    assert (
        terms["case rifle"]["aliases"][0]["alias"] == "кейс-винтовка"
        and terms["case rifle"]["parent_id"] == ids["weapon"]
    )
    assert {c["name"] for c in doc["claimants"]} == {"@amaq", "Someone else"}

    after = logged_events(cat)
    assert len(after) == len(before) + 1
    event = after[-1]
    assert event.action == "export" and event.subject == "catalogue"
    assert event.details["format"] == "json" and event.details["scope"] == "all"
    assert event.details["destination"] == "stdout"
    assert event.details["sha256"] == hashlib.sha256(printed).hexdigest()


def test_json_export_of_one_item_holds_only_its_records(seeded: Seeded, tmp_path: Path) -> None:
    cat, a, b, ids = seeded
    out = tmp_path / "one.json"
    result = cat.ok("export", a["sha256"][:10], "-o", out)
    assert result.stdout.startswith(f"wrote {out}") and "1 item," in result.stdout
    doc = json.loads(out.read_text())
    assert doc["scope"] == {"refs": [a["sha256"][:10]], "items": 1}
    [item] = doc["items"]
    assert item["id"] == a["id"]
    assert item["relations"] == []  # the other end is not exported
    assert {c["id"] for c in item["claims"]} == {ids["claim"]}
    assert {t["label"] for t in doc["terms"]} == {
        "case weapon",
        "case rifle",
        "case compass",
    }  # used, with ancestors
    assert [c["name"] for c in doc["claimants"]] == ["@amaq"]
    assert [p["name"] for p in doc["places"]] == ["Palmyra"]
    subjects = {e["subject"] for e in doc["events"]}
    assert subjects == {
        f"item:{a['sha256']}",
        f"term:{ids['rifle']}",
        f"claimant:{ids['amaq']}",
        f"place:{ids['palmyra']}",
    }
    assert {"preserve", "acquire", "tag", "untag", "claim", "place-add"} <= {
        e["action"] for e in doc["events"]
    }
    assert b["sha256"] not in out.read_text()
    event = logged_events(cat)[-1]
    assert event.action == "export" and event.details["items"] == [{"id": a["id"], "sha256": a["sha256"]}]
    assert event.details["path"] == str(out.resolve())
    assert event.details["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()

    both = json.loads(cat.ok("export", str(a["id"]), str(b["id"])).stdout)
    assert [r["status"] for r in both["items"][0]["relations"]] == ["rejected"]


def _read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_tables_are_quoted_and_neutralised(seeded: Seeded, tmp_path: Path) -> None:
    cat, a, b, ids = seeded
    items = _read_csv(cat.ok("export", "--format", "csv").stdout)
    assert [int(r["id"]) for r in items] == [a["id"], b["id"]]
    assert items[0]["original_name"] == "claimed.mp4" and items[0]["sha256"] == a["sha256"]
    acquisitions = _read_csv(cat.ok("export", "-f", "csv", "--table", "acquisitions").stdout)
    assert acquisitions[0]["note"] == "'" + FORMULA  # neutralised, quotes and commas intact
    tags = _read_csv(cat.ok("export", "-f", "csv", "--table", "tags").stdout)
    by_id = {int(t["id"]): t for t in tags}
    assert (
        by_id[ids["tag"]]["note"] == "'" + FORMULA
        and by_id[ids["tag"]]["term_path"] == "case weapon › case rifle"
    )
    assert (
        by_id[ids["withdrawn"]]["withdrawn"] == "true"
        and by_id[ids["withdrawn"]]["withdrawn_note"] == "misread"
    )
    claims = {int(c["id"]): c for c in _read_csv(cat.ok("export", "-f", "csv", "--table", "claims").stdout)}
    assert claims[ids["claim"]]["statement"] == STATEMENT  # commas, quotes and a newline survive
    assert claims[ids["claim"]]["claimant"] == "'@amaq"
    assert claims[ids["claim_b"]]["statement"] == "'-not this one"
    assert claims[ids["claim_b"]]["longitude"] == "-73.98"  # a number, not a formula
    assert claims[ids["claim"]]["item_ids"] == str(a["id"])
    events = _read_csv(cat.ok("export", "-f", "csv", "--table", "events").stdout)
    assert all(e["hash"] and e["prev_hash"] for e in events)
    assert json.loads(events[-1]["details"])["format"] == "csv"  # the export before this one was logged
    out = tmp_path / "relations.csv"
    cat.ok("export", str(b["id"]), "-f", "csv", "--table", "relations", "-o", out)
    raw = out.read_bytes()
    assert raw.startswith(b"id,a_id,a_sha256,b_id,") and raw.count(b"\r\n") == 1  # header only: a alone
    for table in ("frames", "descriptions", "terms"):
        assert _read_csv(cat.ok("export", "-f", "csv", "--table", table).stdout)


def test_export_refuses_bad_requests_with_exit_2(seeded: Seeded, tmp_path: Path) -> None:
    cat, *_ = seeded
    before = len(logged_events(cat))
    for args in (
        ["export", "ffffff"],
        ["export", "--format", "json", "--table", "tags"],
        ["export", "--format", "xml"],
        ["export", "--bagit", str(tmp_path / "b"), "-o", str(tmp_path / "x.json")],
        ["export", "--source-organization", "Org"],
        ["export", "-o", str(cat.root / "inside.json")],
        ["export", "--bagit", str(cat.root / "bag")],
    ):
        result = cat.run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
    assert len(logged_events(cat)) == before
    assert not (tmp_path / "b").exists() and not (cat.root / "bag").exists()


def test_records_made_by_the_tag_and_claim_commands_are_exported(catalogue: Catalogue) -> None:
    item = add(catalogue, make_image(catalogue.home / "still.png", size=(96, 64), seed=3))
    catalogue.ok("tag", str(item["id"]), "compass", "--note", FORMULA)
    catalogue.ok("claim", str(item["id"]), "--by", "@amaq", "--text", STATEMENT)
    doc = json.loads(catalogue.ok("export", str(item["id"])).stdout)
    [exported] = doc["items"]
    [tag] = exported["tags"]
    assert tag["note"] == FORMULA and tag["term"]["label"] == "compass"
    [claim] = exported["claims"]
    assert claim["statement"] == STATEMENT and claim["claimant"]["name"] == "@amaq"
    assert {"tag", "claim"} <= {e["action"] for e in doc["events"]}
    [row] = _read_csv(catalogue.ok("export", "-f", "csv", "--table", "claims").stdout)
    assert row["claimant"] == "'@amaq" and row["statement"] == STATEMENT


def test_every_csv_table_fills_exactly_its_columns(seeded: Seeded) -> None:
    cat, *_ = seeded
    db = Database(cat.url)
    try:
        with db.read() as session:
            records = gather(session, [])
    finally:
        db.dispose()
    for table, columns in COLUMNS.items():
        rows = list(table_rows(records, table))
        assert rows, table
        assert all(set(row) == set(columns) for row in rows), table
