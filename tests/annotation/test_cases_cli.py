"""`evidence case` and `--case`: an investigation groups its items; listing, searching, clustering and
exporting can be scoped to it; taking an item out is kept on record; everything is logged."""

from __future__ import annotations

import json
from pathlib import Path

from annotating import events, snapshot
from conftest import Catalogue
from mediagen import make_image


def test_a_case_groups_its_items_and_scopes_the_commands(catalogue: Catalogue, tmp_path: Path) -> None:
    cat = catalogue
    made = cat.json("case", "new", "Palmyra, March 2016", "--note", "the Amaq claim")
    assert made["name"] == "Palmyra, March 2016"
    pictures = [make_image(tmp_path / f"p{n}.png", size=(160, 120), seed=60 + n) for n in range(3)]
    added = cat.run("add", pictures[0], pictures[1], "--case", "palmyra, MARCH 2016")  # by name, any case
    assert added.exit_code == 0, added.output
    assert "2 put in case 1 (Palmyra, March 2016)" in added.stderr
    outside = cat.json("add", pictures[2])["results"][0]
    inside = [r["id"] for r in cat.json("list")["items"] if r["id"] != outside["id"]]

    shown = cat.json("case", "show", "1")
    assert [i["id"] for i in shown["items"]] == inside and shown["note"] == "the Amaq claim"
    assert [i["id"] for i in cat.json("list", "--case", "1")["items"]] == inside
    assert {h["id"] for h in cat.json("search", "--case", "1", "--kind", "image")["results"]} == set(inside)
    doc = json.loads(cat.ok("export", "--case", "Palmyra, March 2016").stdout)
    assert [i["id"] for i in doc["items"]] == inside
    assert cat.json("case", "list")["cases"][0]["items"] == 2

    out = cat.run("case", "remove", "1", str(inside[1]), "--note", "another town's footage", "--by", "ana")
    assert out.exit_code == 0 and f"#{inside[1]}" in out.stdout
    assert [i["id"] for i in cat.json("case", "show", "1")["items"]] == [inside[0]]
    again = cat.run("case", "remove", "1", str(inside[1]), "--note", "x")
    assert again.exit_code == 0 and "was not in the case" in again.stderr
    cat.ok("case", "add", "1", str(inside[1]), "--note", "it is Palmyra after all")
    assert [i["id"] for i in cat.json("case", "show", "1")["items"]] == inside
    assert [e["note"] for e in events(cat, "case-remove")] == ["another town's footage"]
    assert len(events(cat, "case-add")) == 3 and len(events(cat, "case-new")) == 1

    before = snapshot(cat)
    for args, says in [
        (["case", "new", "palmyra, march 2016"], "already a case"),
        (["case", "new", "2016"], "only digits"),
        (["case", "new", " "], "cannot be empty"),
        (["case", "show", "Aleppo"], "no case 'Aleppo'"),
        (["add", pictures[2], "--case", "Aleppo"], "no case 'Aleppo'"),
        (["case", "remove", "1", "1", "--note", ""], "cannot be empty"),
        (["list", "--case", "99"], "no case '99'"),
    ]:
        refused = cat.run(*map(str, args))
        assert refused.exit_code == 2 and says in refused.stderr, (args, refused.output)
    cat.ok("case", "new", "Aleppo")
    empty = cat.run("export", "--case", "Aleppo")
    assert empty.exit_code == 2 and "holds no items" in empty.stderr
    assert snapshot(cat)[1:] == before[1:]  # only the events of the new case were written
    assert cat.json("verify")["ok"] is True
