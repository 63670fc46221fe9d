"""Search: user text is matched literally (no LIKE wildcards, no SQL), ignoring case in any script;
date ranges include whole days; criteria combine with AND."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Catalogue
from mediagen import make_image

from evidence.catalogue.search import like_pattern

NOTES = {
    "percent": "100% sure",
    "underscore": "file_name",
    "plain": "100 sure; filename",
    "quote": "it's '; DROP TABLE item; --",
    "cyrillic": "Пальмира, 24 марта",
    "backslash": r"C:\evidence\clip",
}


def test_like_pattern_escapes_wildcards() -> None:
    assert like_pattern("100%") == "%100\\%%"
    assert like_pattern("a_b") == "%a\\_b%"
    assert like_pattern("a\\b") == "%a\\\\b%"


@pytest.fixture
def noted(catalogue: Catalogue, tmp_path: Path) -> dict[str, str]:
    ids = {}
    for n, (key, note) in enumerate(NOTES.items()):
        image = make_image(tmp_path / f"{key}.png", seed=n)
        day = f"2016-03-{20 + n:02d}T12:00Z"
        result = catalogue.json("add", image, "--note", note, "--posted-at", day)
        ids[key] = str(result["results"][0]["id"])
    return ids


def _found(cat: Catalogue, *args: str) -> set[str]:
    return {str(r["id"]) for r in cat.json("search", *args)["results"]}


def test_wildcards_match_only_themselves(catalogue: Catalogue, noted: dict[str, str]) -> None:
    assert _found(catalogue, "--text", "%") == {noted["percent"]}
    assert _found(catalogue, "--text", "100%") == {noted["percent"]}
    assert _found(catalogue, "--text", "_") == {noted["underscore"]}
    assert _found(catalogue, "--text", "file_name") == {noted["underscore"]}
    assert _found(catalogue, "--text", "\\") == {noted["backslash"]}


def test_sql_in_search_text_is_data(catalogue: Catalogue, noted: dict[str, str]) -> None:
    assert _found(catalogue, "--text", "'; DROP TABLE item; --") == {noted["quote"]}
    assert _found(catalogue, "--text", "' OR '1'='1") == set()
    assert len(catalogue.json("list")["items"]) == len(NOTES)


def test_case_is_ignored_in_any_script(catalogue: Catalogue, noted: dict[str, str]) -> None:
    assert _found(catalogue, "--text", "ПАЛЬМИРА") == {noted["cyrillic"]}
    assert _found(catalogue, "--text", "DROP table") == {noted["quote"]}


def test_dates_include_whole_days_and_combine(catalogue: Catalogue, noted: dict[str, str]) -> None:
    assert _found(catalogue, "--since", "2016-03-21", "--until", "2016-03-22") == {
        noted["underscore"],
        noted["plain"],
    }
    assert _found(catalogue, "--until", "2016-03-20") == {noted["percent"]}
    assert _found(catalogue, "--since", "2016-03-21", "--until", "2016-03-22", "--text", "sure") == {
        noted["plain"]
    }
    assert _found(catalogue, "--kind", "video") == set()


def test_bad_criteria_are_usage_errors(catalogue: Catalogue, noted: dict[str, str]) -> None:
    for args in (
        ["--since", "yesterday"],
        ["--kind", "film"],
        ["--text", "  "],
        ["--tag", "no-such-thing"],
        ["--since", "2016-03-23", "--until", "2016-03-22"],  # a period that ends before it begins
    ):
        result = catalogue.run("search", *args)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
        assert len(result.stderr.strip().splitlines()) == 1


def test_a_dated_search_says_which_date_matched(catalogue: Catalogue, tmp_path: Path) -> None:
    """An item can fall in a date range by when it was posted, or by when a claim says the event
    happened: each hit says which date put it there."""
    posted = catalogue.json("add", make_image(tmp_path / "a.png", seed=31), "--posted-at", "2016-03-24")
    claimed = catalogue.json("add", make_image(tmp_path / "b.png", seed=32), "--posted-at", "2016-04-02")
    a, b = posted["results"][0]["id"], claimed["results"][0]["id"]
    said = catalogue.json("claim", str(b), "--by", "Agency", "--text", "it happened", "--date", "2016-03-24")
    hits = {
        h["id"]: h
        for h in catalogue.json("search", "--since", "2016-03-24", "--until", "2016-03-24")["results"]
    }
    assert hits[a]["dates_matched"] == ["posted 2016-03-24"]
    assert hits[b]["dates_matched"] == [f"event 2016-03-24 (claim {said['id']})"]
    table = catalogue.ok("search", "--since", "2016-03-24", "--until", "2016-03-24").stdout
    assert "dates matched" in table and f"event 2016-03-24 (claim {said['id']})" in table
    plain = catalogue.json("search", "--text", "a.png")["results"]
    assert plain and all(h["dates_matched"] == [] for h in plain)
    assert "dates matched" not in catalogue.ok("search", "--kind", "image").stdout
