"""`evidence tag`, `untag` and `tags`: frames, times, ranges, boxes, free terms, withdrawal, custody."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from annotating import HOSTILE, HOSTILE_TERMS, add, events, snapshot, terms
from conftest import Catalogue
from mediagen import make_image, make_video


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("annotate-media")
    return {
        # 2 s at 30 fps, cuts at frames 20 and 40: stored frames 0, 20, 30, 40
        "video": make_video(folder / "clip.mp4", seconds=2.0, size=(320, 240)),
        "image": make_image(folder / "still.png", size=(160, 120)),
    }


def test_frame_tags_are_on_the_frame_chosen_and_carry_its_time(
    catalogue: Catalogue, media: dict[str, Path]
) -> None:
    video = add(catalogue, media["video"])
    terms(catalogue, "weapon › small arms › rifle › AK-74M")
    result = catalogue.run("tag", video["id"], "AK-74M", "--at", "1.1", "--box", "10,20,30,40", "--json")
    assert result.exit_code == 0, result.output
    # the frame shown at 1.1 s (frame 33 of 30 fps), not the stored frame at 1.0 s (it used to snap there)
    assert "--at 1.1 s is frame 33 at 1.100 s" in result.stderr
    doc = json.loads(result.stdout)
    tag = doc
    assert tag["t_start"] == pytest.approx(1.1) and tag["t_end"] is None and tag["frame"] is None
    assert tag["box"] == {"x": 10, "y": 20, "w": 30, "h": 40}
    assert tag["frame_size"] == {"width": 320, "height": 240}
    assert tag["fragment"] == "t=1.1&xywh=10,20,30,40"
    assert tag["path"][-2:] == ["rifle", "AK-74M"] and tag["term"] == "AK-74M" and "weapon" in tag["path"]
    decoded = doc["decoded_frame"]
    assert (decoded["requested"], decoded["frame"]) == (1.1, 33) and decoded["t"] == pytest.approx(1.1)
    assert len(decoded["pdq"]) == 64  # the chosen frame hashed on demand, logged with the tag
    (logged,) = [e for e in events(catalogue, "tag") if e["tag"] == tag["id"]]
    assert logged["decoded_frame"] == {"index": 33, "time": decoded["t"], "pdq": decoded["pdq"]}
    assert not doc["free_term"]
    # --frame takes a stored index; frame 20 starts at 0.6667 s, written rounded up into the frame
    by_index = catalogue.json("tag", video["sha256"][:10], "rifle", "--frame", "20")
    assert by_index["frame"] == 20 and by_index["fragment"] == "t=0.667"
    # at 0.84 s the frame shown is frame 25 (from 0.8333 s); on a stored frame's time, that frame
    assert catalogue.json("tag", video["id"], "rifle", "--at", "0:00.84")["fragment"] == "t=0.834"
    assert catalogue.json("tag", video["id"], "rifle", "--at", "1.0")["frame"] == 30
    missing = catalogue.run("tag", video["id"], "rifle", "--frame", "7")
    assert missing.exit_code == 2
    assert "no stored frame 7" in missing.stderr and "0, 20, 30, 40" in missing.stderr
    human = catalogue.ok("tag", video["id"], "rifle", "--range", "0:00.5-1.25", "--confidence", "0.8")
    assert "fragment: #t=0.5,1.25" in human.stdout
    # re-analysis re-makes the frame rows; a frame tag keeps its frame (by its time)
    catalogue.ok("analyze", str(video["id"]))
    again = {t["id"]: t for t in catalogue.json("tags", video["id"])["tags"]}
    assert again[tag["id"]]["t_start"] == pytest.approx(1.1) and again[by_index["id"]]["frame"] == 20


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--range", "1-3"], "after the end"),
        (["--range", "1.5-1"], "must start before"),
        (["--range", "abc"], "--range"),
        (["--at", "5"], "after the end"),
        (["--at", "-1"], "--at"),
        (["--box", "300,0,30,10"], "outside the 320x240 frame"),
        (["--box", "0,0,0,10"], "width and a height"),
        (["--box", "1,2,3"], "--box"),
        (["--frame", "20", "--range", "0-1"], "not both"),
        (["--frame", "20", "--at", "1"], "not both"),
        (["--confidence", "1.5"], "confidence"),
    ],
)
def test_bad_places_are_refused_and_nothing_is_written(
    catalogue: Catalogue, media: dict[str, Path], args: list[str], says: str
) -> None:
    video = add(catalogue, media["video"])
    before = snapshot(catalogue)
    result = catalogue.run("tag", video["id"], "new-term", *args)
    assert result.exit_code == 2, result.output
    assert says in result.output
    assert "Traceback" not in result.output and len(result.stderr.strip().splitlines()) == 1
    assert snapshot(catalogue) == before  # no tag, no free term, no event


def test_what_an_image_or_a_file_can_take(catalogue: Catalogue, media: dict[str, Path]) -> None:
    image = add(catalogue, media["image"])
    whole = catalogue.json("tag", image["id"], "bandage packet", "--box", "0,0,160,120")
    assert whole["frame_size"] == {"width": 160, "height": 120}
    assert catalogue.json("tag", image["id"], "bandage packet", "--frame", "0")["fragment"] == "t=0"
    refused = catalogue.run("tag", image["id"], "bandage packet", "--range", "0-1")
    assert refused.exit_code == 2 and "image" in refused.stderr
    assert catalogue.run("tag", image["id"], "x", "--box", "100,100,61,10").exit_code == 2
    text = catalogue.home / "tip.txt"
    text.write_text("a tip\n")
    tip = catalogue.json("add", text)["results"][0]
    assert catalogue.json("tag", tip["id"], "tip")["fragment"] == ""
    assert catalogue.run("tag", tip["id"], "tip", "--box", "0,0,1,1").exit_code == 2


def test_unknown_terms_become_free_unless_strict(catalogue: Catalogue, media: dict[str, Path]) -> None:
    image = add(catalogue, media["image"])
    terms(catalogue, "navigation › compass", "medical › bandage packet")
    first = catalogue.run("tag", image["id"], "zorblax")
    assert first.exit_code == 0, first.output
    assert "note: 'zorblax' is not in the vocabulary; added as a free term" in first.stderr
    again = catalogue.run("tag", image["id"], "zorblax", "--json")
    assert "free term" in again.stderr and json.loads(again.stdout)["free_term"] is True
    known = catalogue.run("tag", image["id"], "compass")
    assert known.exit_code == 0 and "note:" not in known.stderr
    refused = catalogue.run("tag", image["id"], "compas", "--strict")
    assert refused.exit_code == 2
    assert "compass" in refused.stderr  # the nearest term is suggested
    assert [t["term"] for t in catalogue.json("tags", image["id"])["tags"]] == [
        "zorblax",
        "zorblax",
        "compass",
    ]


def test_untag_keeps_the_tag_and_its_history(catalogue: Catalogue, media: dict[str, Path]) -> None:
    image = add(catalogue, media["image"])
    tag_id = catalogue.json("tag", image["id"], "zorblax", "--note", "left corner")["id"]
    keep = catalogue.json("tag", image["id"], "compass", "--by", "ana")
    assert keep["annotator"] == "ana"
    withdrawn = catalogue.json("untag", tag_id, "--note", "it is a hat", "--by", "ben")
    assert withdrawn["withdrawn"] is True and withdrawn["withdrawn_by"] == "ben"
    assert withdrawn["withdrawn_note"] == "it is a hat" and withdrawn["note"] == "left corner"
    twice = catalogue.run("untag", tag_id)
    assert twice.exit_code == 2 and "already withdrawn" in twice.stderr and "ben" in twice.stderr
    assert catalogue.run("untag", "999").exit_code == 2
    active = catalogue.json("tags", image["id"])["tags"]
    assert [t["id"] for t in active] == [keep["id"]]
    every = catalogue.json("tags", image["id"], "--all")["tags"]
    assert [(t["id"], t["withdrawn"]) for t in every] == [(tag_id, True), (keep["id"], False)]
    assert set(every[0]) >= {
        "id", "term", "path", "frame", "t_start", "t_end", "box", "fragment", "confidence",
        "annotator", "note", "created_at", "withdrawn",
    }  # fmt: skip
    table = catalogue.ok("tags", image["id"], "--all").stdout
    assert "it is a hat" in table and "zorblax" in table
    untags = events(catalogue, "untag")
    assert untags == [
        {
            "subject": f"item:{image['sha256']}",
            "actor": "ben",
            "tag": tag_id,
            "term": ["zorblax"],
            "fragment": "",
            "note": "it is a hat",
        }
    ]
    shown = catalogue.json("show", image["id"])
    assert shown["tag_count"] == 1 and shown["withdrawn_tag_count"] == 1


def test_every_tag_is_logged_and_the_chain_verifies(catalogue: Catalogue, media: dict[str, Path]) -> None:
    video = add(catalogue, media["video"])
    tag = catalogue.json(
        "tag",
        video["id"],
        "gizmo-7",
        "--range",
        "0.5-1.5",
        "--box",
        "1,2,3,4",
        "--confidence",
        "0.5",
        "--note",
        "n",
    )
    assert [sorted(e["records"]) for e in events(catalogue, "tag", digests=True)] == [[f"tag:{tag['id']}"]]
    logged = events(catalogue, "tag")
    assert logged == [
        {
            "subject": f"item:{video['sha256']}",
            "actor": "tester",
            "tag": tag["id"],
            "term": ["gizmo-7"],
            "free": True,
            "frame": None,
            "t": None,
            "at": None,
            "decoded_frame": None,  # only a tag --at a time has one
            "range": [0.5, 1.5],
            "box": {"x": 1, "y": 2, "w": 3, "h": 4},
            "frame_size": [320, 240],
            "fragment": "t=0.5,1.5&xywh=1,2,3,4",
            "confidence": 0.5,
            "note": "n",
            "source": "manual",
        }
    ]
    assert ["gizmo-7"] in [e["path"] for e in events(catalogue, "term-add")]
    catalogue.ok("untag", str(tag["id"]))
    verified = catalogue.run("verify")
    assert verified.exit_code == 0, verified.output


def test_hostile_text_is_stored_and_shown_literally(catalogue: Catalogue, media: dict[str, Path]) -> None:
    image = add(catalogue, media["image"])
    for term, text in zip(HOSTILE_TERMS, HOSTILE, strict=True):
        result = catalogue.run("tag", image["id"], term, "--note", text, "--by", text)
        assert result.exit_code == 0, result.output
    tags = catalogue.json("tags", image["id"])["tags"]
    assert [t["note"] for t in tags] == HOSTILE
    assert [t["annotator"] for t in tags] == HOSTILE
    assert [t["term"] for t in tags] == HOSTILE_TERMS
    table = catalogue.ok("tags", image["id"]).stdout
    for text in HOSTILE + HOSTILE_TERMS:
        assert text in table  # neither markup nor SQL
    assert len(catalogue.json("list")["items"]) == 1
    escaped = catalogue.ok("tag", image["id"], "x", "--note", "line\x1b[31mred").stdout
    assert "\x1b" not in escaped
    shown = catalogue.ok("tags", image["id"]).stdout
    assert "\x1b" not in shown and "\\x1b[31mred" in shown
    assert catalogue.run("tag", image["id"], "x", "--by", "  ").exit_code == 2
    assert catalogue.run("verify").exit_code == 0
