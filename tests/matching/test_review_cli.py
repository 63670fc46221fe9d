"""`evidence dupes` and `evidence review` as an analyst reads them: names, kinds, when each copy is first
known, the links with their status and score, the earliest known copy, and the suggestions that wait
for a decision, most similar first."""

from __future__ import annotations

from pathlib import Path

from conftest import Catalogue
from mediagen import make_video


def test_clusters_name_their_copies_and_the_review_lists_what_waits(
    sqlite_catalogue: Catalogue, tmp_path: Path
) -> None:
    cat = sqlite_catalogue
    source = make_video(tmp_path / "statement.mp4", seconds=6, fps=30, scenes=3, seed=3)
    copy = make_video(tmp_path / "repost.mp4", seconds=6, fps=30, scenes=3, seed=3, size=(256, 192))
    other = make_video(tmp_path / "unrelated.mp4", seconds=6, fps=30, scenes=3, seed=8)
    first = cat.json("add", source, "--posted-at", "2016-03-24T10:00Z")["results"][0]
    later = cat.json("add", copy, "--posted-at", "2016-03-23")["results"][0]
    cat.ok("add", other)
    assert cat.json("review")["suggestions"] != []

    (cluster,) = cat.json("dupes")["clusters"]
    assert [m["id"] for m in cluster] == [first["id"], later["id"]]  # earliest catalogued first
    by_id = {m["id"]: m for m in cluster}
    assert by_id[first["id"]]["original_name"] == "statement.mp4" and by_id[first["id"]]["kind"] == "video"
    assert by_id[later["id"]]["known_at"] == "2016-03-23" and by_id[later["id"]]["known_basis"] == "posted"
    assert [m["earliest"] for m in cluster] == [False, True]  # posted a day before the "original"
    (link,) = by_id[first["id"]]["links"]
    assert (link["other"], link["kind"], link["status"]) == (later["id"], "duplicate", "suggested")
    assert link["score"] > 0.9
    human = cat.ok("dupes").stdout
    assert (
        f"#{later['id']} {later['sha256'][:12]}  video  repost.mp4  posted 2016-03-23  ← earliest known"
        in human
    )
    assert f"#{first['id']} duplicate #{later['id']} (suggested, score" in human

    (waiting,) = cat.json("review")["suggestions"]
    assert {waiting["a"]["id"], waiting["b"]["id"]} == {first["id"], later["id"]}
    assert waiting["kind"] == "duplicate" and waiting["score"] == link["score"]
    listed = cat.ok("review").stdout
    assert f"evidence relate {first['id']} {later['id']} --confirm | --reject" in listed
    assert "repost.mp4" in listed and "statement.mp4" in listed

    cat.ok("relate", str(first["id"]), str(later["id"]), "--confirm")
    assert cat.json("review")["suggestions"] == []
    assert "1 suggestions awaiting" not in cat.run("review").stderr
    assert "(confirmed, score" in cat.ok("dupes").stdout
