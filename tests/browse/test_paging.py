"""`evidence search` and `evidence dupes` show a page unless told otherwise: `--limit N` shows N,
`--all` every one, and a listing cut short says so on stderr (and `"more": true` in its JSON), so an
investigator never takes the first page for everything."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Catalogue
from mediagen import make_image

import evidence.cli.output


def _seven_pictures_in_three_clusters(cat: Catalogue, tmp_path: Path) -> list[int]:
    ids = []
    for n in range(7):
        path = make_image(tmp_path / f"still-{n}.png", (96 + 8 * n, 64), seed=100 + 37 * n)
        ids.append(cat.json("add", path)["results"][0]["id"])
    for a, b in ((0, 1), (2, 3), (4, 5)):
        cat.ok("relate", str(ids[a]), str(ids[b]), "--confirm", "--as", "duplicate")
    return ids


def test_search_and_dupes_stop_at_their_limit_and_say_so(
    catalogue: Catalogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cat = catalogue
    ids = _seven_pictures_in_three_clusters(cat, tmp_path)

    found = cat.json("search", "--kind", "image", "--limit", "3")
    assert [h["id"] for h in found["results"]] == ids[:3] and found["more"] is True
    told = cat.run("search", "--kind", "image", "--limit", "3")
    assert told.exit_code == 0
    assert "3 items shown; there are more (--limit N shows N, --all every one)" in told.stderr
    found = cat.json("search", "--kind", "image", "--limit", "7")
    assert [h["id"] for h in found["results"]] == ids and found["more"] is False
    assert cat.run("search", "--kind", "image", "--limit", "7").stderr.strip() == "7 items"

    groups = cat.json("dupes", "--limit", "2")
    assert [[m["id"] for m in c] for c in groups["clusters"]] == [ids[0:2], ids[2:4]]
    assert groups["more"] is True
    assert "2 clusters shown; there are more" in cat.run("dupes", "--limit", "2").stderr
    groups = cat.json("dupes", "--limit", "3")
    assert len(groups["clusters"]) == 3 and groups["more"] is False

    # without --limit a page of evidence.cli.output.PAGE; --all lifts it
    monkeypatch.setattr(evidence.cli.output, "PAGE", 2)
    found = cat.json("search", "--kind", "image")
    assert [h["id"] for h in found["results"]] == ids[:2] and found["more"] is True
    found = cat.json("search", "--kind", "image", "--all")
    assert [h["id"] for h in found["results"]] == ids and found["more"] is False
    assert cat.json("dupes")["more"] is True and len(cat.json("dupes")["clusters"]) == 2
    every = cat.json("dupes", "--all")
    assert [[m["id"] for m in c] for c in every["clusters"]] == [ids[0:2], ids[2:4], ids[4:6]]
    assert every["more"] is False
    assert cat.run("dupes", "--all").stderr.strip() == "3 clusters"


@pytest.mark.parametrize("command", ["search", "dupes"])
def test_a_limit_and_all_together_are_refused(sqlite_catalogue: Catalogue, command: str) -> None:
    refused = sqlite_catalogue.run(command, *(["--kind", "image"] if command == "search" else []), "--all",
                                   "--limit", "5")  # fmt: skip
    assert refused.exit_code == 2
    assert refused.stderr.strip().splitlines() == ["evidence: say --limit N or --all, not both"]
