"""`evidence terms`, in-process on each backend: the starter tree, adding, aliasing, moving, and
importing and exporting vocabulary files — what a user sees, and that a refused command writes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import Catalogue

from evidence.catalogue import starter_vocabulary
from evidence.cli.main import app


def terms(cat: Catalogue, *args: str) -> dict[str, dict[str, Any]]:
    """The vocabulary as `terms --json` shows it, keyed by path text."""
    return {" › ".join(t["path"]): t for t in cat.json("terms", *args)["terms"]}


def events(cat: Catalogue) -> int:
    """How many custody events `evidence verify` checks (it then logs one of its own)."""
    report = cat.json("verify")
    assert report["ok"] is True, report
    return int(report["events_checked"])


def logged_since(cat: Catalogue, before: int) -> int:
    """Events logged since `events` returned `before`, not counting that verify's own."""
    return events(cat) - before - 1


def content(cat: Catalogue) -> dict[str, Any]:
    """What a vocabulary says, without the catalogue's own ids and tag counts."""
    return {
        path: (t["free"], t["note"], sorted((a["alias"], a["language"]) for a in t["aliases"]))
        for path, t in terms(cat).items()
    }


def fresh(tmp_path: Path, name: str) -> Catalogue:
    """A second, SQLite catalogue (so that it is fresh whatever the backend of the first)."""
    home = tmp_path / name
    home.mkdir()
    cat = Catalogue(home, "sqlite", None)
    result = cat.runner.invoke(app, ["init", str(home)], env=cat.env)
    assert result.exit_code == 0, result.output
    return cat


def test_a_new_catalogue_shows_the_starter_tree_and_verifies(catalogue: Catalogue) -> None:
    vocab = terms(catalogue)
    assert len(vocab) == len(starter_vocabulary.entries())
    ak = vocab["weapon › small arms › rifle › AK-74M"]
    assert {"alias": "АК-74М", "language": "ru"} in ak["aliases"] and ak["free"] is False
    assert ak["parent_id"] == vocab["weapon › small arms › rifle"]["id"]
    assert {"alias": "ИПП", "language": "ru"} in vocab["medical › bandage packet"]["aliases"]
    assert {"alias": "خوذة", "language": "ar"} in vocab["protective gear › helmet"]["aliases"]
    assert events(catalogue) == 2  # init, and one vocabulary-import for all the starter terms
    tree = catalogue.ok("terms").stdout
    lines = tree.splitlines()
    rifle_line = next(line for line in lines if "── rifle  [" in line)
    ak_line = next(line for line in lines if "── AK-74M  [" in line)
    assert ak_line.index("AK-74M") > rifle_line.index("rifle")  # deeper than its parent
    assert "ru: АК-74М" in ak_line and "AK74M" in ak_line
    under = catalogue.ok("terms", "--under", "tourniquet").stdout
    assert under.splitlines()[0].startswith("medical › tourniquet")
    assert "CAT tourniquet" in under and "helmet" not in under


def test_add_creates_the_missing_labels_with_aliases(catalogue: Catalogue) -> None:
    result = catalogue.ok(
        "terms", "add", "vehicle > drone > FPV drone > Molniya", "--alias", "Молния", "--language", "ru"
    )
    assert result.stdout.splitlines() == [
        "added vehicle › drone › FPV drone › Molniya",
        "alias Молния (ru) → Molniya",
    ]
    doc = catalogue.json("terms", "add", "rifle / AK-99 / AK-99 with GP-25", "--note", "seen in clip 4")
    assert doc["path"] == ["weapon", "small arms", "rifle", "AK-99", "AK-99 with GP-25"]
    assert doc["created"] == [doc["path"][:-1], doc["path"]] and doc["note"] == "seen in clip 4"
    again = catalogue.ok("terms", "add", "weapon › small arms › rifle › AK-99")
    assert again.stdout.startswith("exists weapon › small arms › rifle › AK-99")
    assert terms(catalogue, "--under", "Molniya")["vehicle › drone › FPV drone › Molniya"]["aliases"] == [
        {"alias": "Молния", "language": "ru"}
    ]


def test_an_alias_clash_refuses_the_whole_add(catalogue: Catalogue) -> None:
    before, logged = len(terms(catalogue)), events(catalogue)
    result = catalogue.run(
        "terms", "add", "weapon › AK-200", "--alias", "AK200", "--alias", "шлем", "--language", "ru"
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "evidence: the alias 'шлем' in 'ru' already names 'protective gear › helmet'"
    )
    assert "Traceback" not in result.output
    assert len(terms(catalogue)) == before and logged_since(catalogue, logged) == 0


def test_aliases_are_unique_per_language(catalogue: Catalogue) -> None:
    catalogue.ok("terms", "alias", "pistol", "pistolet", "--language", "pl")
    ok = catalogue.ok("terms", "alias", "rifle › AK-74M", "pistolet", "--language", "fr")
    assert ok.stdout.strip() == "alias pistolet (fr) → weapon › small arms › rifle › AK-74M"
    clash = catalogue.run("terms", "alias", "helmet", "Pistolet", "--language", "pl")
    assert clash.exit_code == 2 and "already names 'weapon › small arms › pistol'" in clash.stderr
    same = catalogue.ok("terms", "alias", "pistol", "pistolet", "--language", "pl")
    assert "already has the alias" in same.stdout
    assert catalogue.run("terms", "alias", "pistol", "x", "--language", "not a tag").exit_code == 2


def test_move_refuses_a_cycle_and_logs_a_move(catalogue: Catalogue) -> None:
    logged = events(catalogue)
    cycle = catalogue.run("terms", "move", "small arms", "AK-74M")
    assert cycle.exit_code == 2
    assert "cannot move 'weapon › small arms' under 'weapon › small arms › rifle › AK-74M'" in cycle.stderr
    assert "own ancestor" in cycle.stderr and logged_since(catalogue, logged) == 0
    logged = events(catalogue)
    moved = catalogue.ok("terms", "move", "binoculars", "protective gear")
    assert moved.stdout.strip() == "moved optics › binoculars → protective gear › binoculars"
    assert "protective gear › binoculars" in terms(catalogue)
    catalogue.ok("terms", "move", "compass", "--root")
    vocab = terms(catalogue)
    assert vocab["compass"]["parent_id"] is None and "compass › Adrianov compass" in vocab
    assert catalogue.run("terms", "move", "compass").exit_code == 2  # neither a parent nor --root
    catalogue.ok("terms", "add", "optics › helmet")
    twin = catalogue.run("terms", "move", "optics › helmet", "protective gear")
    assert twin.exit_code == 2 and "already has a term 'helmet'" in twin.stderr
    assert logged_since(catalogue, logged) == 3  # two moves and one added term
    assert catalogue.ok("verify").exit_code == 0


def test_unknown_terms_come_with_the_nearest_ones(catalogue: Catalogue) -> None:
    for typed, meant in [
        ("AK74-M", "AK-74M"),
        ("ak 74", "AK-74M"),
        ("helmit", "helmet"),
        ("ИППП", "bandage packet"),
    ]:
        result = catalogue.run("terms", "--under", typed)
        assert result.exit_code == 2, result.output
        assert f"unknown term {typed!r}" in result.stderr and meant in result.stderr.split("nearest:")[1]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_then_import_into_a_fresh_catalogue_round_trips(
    catalogue: Catalogue, tmp_path: Path, fmt: str
) -> None:
    catalogue.ok(
        "terms", "add", "weapon › small arms › rifle › AK-99", "--alias", "АК-99", "--language", "ru"
    )
    catalogue.ok("terms", "add", "=HYPERLINK(1) › -minus › @at", "--note", "+formula-looking note")
    catalogue.ok("terms", "alias", "AK-99", "AK99")
    original = content(catalogue)
    out = tmp_path / f"vocabulary.{fmt}"
    wrote = catalogue.ok("terms", "export", "-o", out)
    assert wrote.stdout.startswith(f"wrote {out}") and out.is_file()
    if fmt == "csv":
        text = out.read_text()
        assert text.splitlines()[0] == "path,alias,language,note,free"
        assert "'=HYPERLINK(1),,," in text and not any(line.startswith("=") for line in text.splitlines())
    other = fresh(tmp_path, "other")
    logged = events(other)
    result = other.ok("terms", "import", out)
    assert "4 terms and 2 aliases added" in result.stdout
    assert content(other) == original
    assert logged_since(other, logged) == 1  # one vocabulary-import event for the whole file
    logged = events(other)
    again = other.json("terms", "import", out)
    assert (again["terms_added"], again["aliases_added"]) == (0, 0)
    assert logged_since(other, logged) == 0


def test_export_to_stdout_and_by_format(catalogue: Catalogue, tmp_path: Path) -> None:
    logged = events(catalogue)
    doc = json.loads(catalogue.ok("terms", "export").stdout)
    assert doc["format"] == "evidence-vocabulary" and "weapon › small arms › rifle › AK-74M" in doc["terms"]
    csv_text = catalogue.ok("terms", "export", "--format", "csv", "--under", "tourniquet").stdout
    assert csv_text.splitlines()[1].startswith("medical › tourniquet,")
    assert logged_since(catalogue, logged) == 2  # an export is logged
    inside = catalogue.run("terms", "export", "-o", catalogue.root / "v.csv")
    assert inside.exit_code == 2 and "inside the catalogue" in inside.stderr
    assert catalogue.run("terms", "export", "-o", tmp_path / "v.txt").exit_code == 2  # format unknown


BAD_FILES = {
    "clash.csv": "path,alias,language\nweapon › AK-300,AK300,\nweapon › AK-301,шлем,ru\n",
    "cycle.json": json.dumps({"terms": {"a": {"parent": "b"}, "b": {"parent": "a"}}}),
    "broken.json": '{"terms": {"a": ',
    "label.json": json.dumps({"terms": [{"path": ["weapon", "a/b"]}]}),
    "latin1.csv": "path\nwaffe > Stra\xdfe\n",
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_bad_file_is_refused_and_nothing_is_written(
    catalogue: Catalogue, tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    data = BAD_FILES[name]
    path.write_bytes(data.encode("latin-1") if name == "latin1.csv" else data.encode())
    before, logged = content(catalogue), events(catalogue)
    result = catalogue.run("terms", "import", path)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"evidence: {name}: ") and "nothing was imported" in result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.output
    expected = {
        "clash.csv": "line 3: the alias 'шлем' in 'ru' already names 'protective gear › helmet'",
        "cycle.json": "its parents form a cycle",
        "broken.json": "not JSON",
        "label.json": "path separator",
        "latin1.csv": "not UTF-8",
    }[name]
    assert expected in result.stderr
    assert content(catalogue) == before and logged_since(catalogue, logged) == 0


def test_import_needs_a_file_or_starter_and_a_known_format(catalogue: Catalogue, tmp_path: Path) -> None:
    assert catalogue.run("terms", "import").exit_code == 2
    (tmp_path / "v.txt").write_text("path\nx\n")
    unknown = catalogue.run("terms", "import", tmp_path / "v.txt")
    assert unknown.exit_code == 2 and "--format" in unknown.stderr
    ok = catalogue.json("terms", "import", tmp_path / "v.txt", "--format", "csv")
    assert ok["terms_added"] == 1
    assert catalogue.run("terms", "import", tmp_path / "missing.csv").exit_code == 2


def test_import_starter_adds_only_what_is_missing(catalogue: Catalogue) -> None:
    logged = events(catalogue)
    doc = catalogue.json("terms", "import", "--starter")
    assert (doc["terms_added"], doc["aliases_added"], doc["origin"]) == (0, 0, "starter")
    assert logged_since(catalogue, logged) == 0
    logged = events(catalogue)
    catalogue.ok("terms", "move", "helmet", "--root")
    catalogue.ok("terms", "alias", "helmet", "каска-2", "--language", "ru")
    doc = catalogue.json("terms", "import", "--starter")
    # the starter's helmet is made again where it was, its aliases already taken by the moved one
    assert doc["terms_added"] >= 1 and doc["aliases_skipped"] >= 1
    assert "protective gear › helmet" in terms(catalogue)
    assert logged_since(catalogue, logged) == 3  # a move, an alias, one import


def test_hand_written_json_with_parents(catalogue: Catalogue, tmp_path: Path) -> None:
    path = tmp_path / "mine.json"
    path.write_text(
        json.dumps(
            {
                "terms": {
                    "Zastava M70": {"parent": "weapon › small arms › rifle", "aliases": ["M70"]},
                    "M70 with grenade sight": {"parent": "Zastava M70", "free": True},
                }
            }
        )
    )
    catalogue.ok("terms", "import", path)
    vocab = terms(catalogue, "--under", "Zastava M70")
    assert vocab["weapon › small arms › rifle › Zastava M70 › M70 with grenade sight"]["free"] is True
    assert "(free)" in catalogue.ok("terms", "--under", "M70").stdout


def test_adding_a_label_that_exists_elsewhere_says_so(catalogue: Catalogue) -> None:
    result = catalogue.ok("terms", "add", "weapon › rifle › AK-2000")
    assert "added weapon › rifle\n" in result.stdout
    assert "'rifle' also names 'weapon › small arms › rifle'; give the path" in result.stderr


def test_the_tree_counts_tags_and_marks_free_terms(catalogue: Catalogue) -> None:
    (catalogue.home / "clip.txt").write_text("a claimed video, as a placeholder file")
    item = catalogue.json("add", catalogue.home / "clip.txt")["results"][0]["id"]
    catalogue.ok("tag", item, "шлем")
    catalogue.ok("tag", item, "rifle › AK-74M")
    catalogue.ok("tag", item, "Kalash custom")
    strict = catalogue.run("tag", item, "helmit", "--strict")
    assert strict.exit_code == 2 and "'protective gear › helmet'" in strict.stderr.split("nearest:")[1]
    vocab = terms(catalogue)
    assert vocab["protective gear › helmet"]["tags"] == 1 and vocab["Kalash custom"]["free"] is True
    tree = catalogue.ok("terms").stdout
    assert "Kalash custom (free)  · 1 tag" in tree
    assert any(
        line.endswith("── helmet  [ar: خوذة; ru: шлем, каска; uk: шолом, каска]  · 1 tag")
        for line in tree.splitlines()
    )


def test_a_free_term_made_by_a_slip_is_merged_into_the_term_it_meant(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    from annotating import add
    from annotating import events as logged
    from mediagen import make_image

    ref = str(add(catalogue, make_image(tmp_path / "photo.png", size=(160, 120), seed=5))["id"])
    slip = catalogue.json(
        "tag", ref, "helmt", "--box", "10,10,40,30", "--note", "left", "--confidence", "0.8"
    )
    catalogue.ok("describe", ref, "helmt", "--source", "the caption")
    assert terms(catalogue)["helmt"]["free"] is True
    before = events(catalogue)

    merged = catalogue.run("terms", "merge", "helmt", "helmet", "--note", "a typo")
    assert merged.exit_code == 0, merged.output
    assert "merged helmt into protective gear › helmet: 1 tag(s) and 1 description(s) moved" in merged.stdout
    assert "'helmt' is now an alias of protective gear › helmet" in merged.stderr
    assert logged_since(catalogue, before) == 2  # one on the item, one on the free term

    (tag,) = catalogue.json("tags", ref)["tags"]
    assert tag["term"] == "helmet" and tag["id"] != slip["id"]
    assert (tag["box"], tag["note"], tag["confidence"]) == (slip["box"], "left", 0.8)
    gone = {t["id"]: t for t in catalogue.json("tags", ref, "--all")["tags"]}[slip["id"]]
    assert (
        gone["term"] == "helmt" and gone["withdrawn_note"] == "merged into protective gear › helmet: a typo"
    )
    (described,) = catalogue.json("show", ref)["described"]
    assert described["term"] == "helmet" and described["observed"] is True
    assert {h["id"] for h in catalogue.json("search", "--tag", "helmet")["results"]} == {int(ref)}
    assert "helmt" not in terms(catalogue)
    assert ("helmt", "") in [
        (a["alias"], a["language"]) for a in terms(catalogue)["protective gear › helmet"]["aliases"]
    ]
    again = catalogue.run("tag", ref, "helmt")  # the same slip now finds the term it meant
    assert again.exit_code == 0 and "free term" not in again.stderr
    item_event, term_event = logged(catalogue, "term-merge")
    assert item_event["tags"] == [[slip["id"], tag["id"]]] and item_event["subject"].startswith("item:")
    assert term_event["from"] == ["helmt"] and term_event["alias"] == "helmt"

    before = events(catalogue)
    for args, says in [
        (["AK-74M", "rifle"], "only a free term"),
        (["zorblax", "zorblax"], "unknown term"),
    ]:
        refused = catalogue.run("terms", "merge", *args)
        assert refused.exit_code == 2 and says in refused.stderr, refused.output
    catalogue.ok("tag", ref, "scope thing")
    assert catalogue.run("terms", "merge", "scope thing", "scope thing").exit_code == 2
    assert (
        logged_since(catalogue, before) == 2
    )  # only the tag (and its free term): the refusals wrote nothing
