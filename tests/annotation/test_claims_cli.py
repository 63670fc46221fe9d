"""`evidence claim`, `claims` and `describe`, and described-vs-observed in `show`."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError
from pathlib import Path
from typing import Any

import pytest
from annotating import HOSTILE, add, events, snapshot, terms
from conftest import Catalogue
from mediagen import make_image, make_video

from evidence.catalogue import custody
from evidence.catalogue.engine import Database

PALMYRA = ["--place", "Palmyra", "--lat", "34.5505", "--lon", "38.2684"]


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("claims-media")
    return {
        "video": make_video(folder / "clip.mp4", seconds=2.0, size=(320, 240)),
        "copy": make_image(folder / "copy.png", size=(160, 120), seed=1),
        "other": make_image(folder / "other.png", size=(160, 120), seed=2),
        "far": make_image(folder / "far.png", size=(160, 120), seed=3),
    }


def claim(cat: Catalogue, *args: str | int) -> dict[str, Any]:
    result: dict[str, Any] = cat.json("claim", *map(str, args))
    return result


def test_a_claim_and_its_counter_claim(catalogue: Catalogue, media: dict[str, Path]) -> None:
    video, copy = add(catalogue, media["video"]), add(catalogue, media["copy"])
    made = catalogue.run(
        "claim", video["id"], copy["sha256"][:8], "--by", "Amaq",
        "--text", "five soldiers killed near Palmyra", "--date", "2016-03-24", *PALMYRA,
        "--precision", "town", "--url", "https://t.me/amaq/1", "--language", "ar", "--json",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert "new claimant 'Amaq'" in made.stderr and "place 'Palmyra' created" in made.stderr
    first = json.loads(made.stdout)
    assert first["claimant"] == "Amaq" and first["text"] == "five soldiers killed near Palmyra"
    assert first["date"] == "2016-03-24" and first["date_precision"] == "day"
    assert first["place"] == {
        "id": first["place"]["id"],
        "name": "Palmyra",
        "latitude": 34.5505,
        "longitude": 38.2684,
        "precision": "town",
    }
    assert first["url"] == "https://t.me/amaq/1" and first["language"] == "ar"
    assert [i["id"] for i in first["items"]] == [video["id"], copy["id"]]
    counter = catalogue.run(
        "claim", video["id"], "--by", "AMAQ ", "--text", "x", "--json"
    )  # the same claimant, case-folded
    assert counter.exit_code == 0 and "new claimant" not in counter.stderr
    denial = claim(
        catalogue, video["id"], "--by", "Government spokesman", "--text", "does not confirm",
        "--counters", first["id"], "--said-on", "2016-03-25T10:00+03:00",
    )  # fmt: skip
    assert denial["counters"] == first["id"] and denial["said_on"] == "2016-03-25T07:00:00Z"
    assert denial["date"] is None and denial["place"] is None and first["said_on"] is None
    listed = catalogue.json("claims", video["id"])["claims"]
    assert [c["id"] for c in listed] == [first["id"], first["id"] + 1, denial["id"]]
    assert listed[0]["countered_by"] == [denial["id"]]
    assert [c["id"] for c in catalogue.json("claims", copy["id"])["claims"]] == [first["id"]]
    human = catalogue.ok("claims", video["id"]).stdout
    assert f"disputed by claim {denial['id']}" in human and f"disputes claim {first['id']}" in human
    assert "event: 2016-03-24 at Palmyra" in human and "said: 2016-03-25T07:00:00Z" in human
    logged = events(catalogue, "claim")
    assert [e["subject"] for e in logged[:2]] == [f"item:{video['sha256']}", f"item:{copy['sha256']}"]
    assert logged[0]["text"] == "five soldiers killed near Palmyra" and logged[-1]["counters"] == first["id"]
    assert logged[-1]["said_on"] == "2016-03-25T07:00:00Z" and logged[-1]["date"] is None
    assert [e["name"] for e in events(catalogue, "claimant-add")] == ["Amaq", "Government spokesman"]
    assert catalogue.json("show", video["id"])["claim_count"] == 3
    assert catalogue.run("verify").exit_code == 0


def test_places_are_found_by_name_and_keep_their_coordinates(
    catalogue: Catalogue, media: dict[str, Path]
) -> None:
    item = add(catalogue, media["copy"])["id"]
    assert (
        claim(catalogue, item, "--by", "a", "--text", "t", "--place", "Tadmur")["place"]["latitude"] is None
    )
    located = catalogue.run(
        "claim", item, "--by", "a", "--text", "t", "--place", "TADMUR", *PALMYRA[2:], "--json"
    )
    assert located.exit_code == 0 and "place 'Tadmur' located" in located.stderr
    assert [e["latitude"] for e in events(catalogue, "place-locate")] == [34.5505]
    same = claim(catalogue, item, "--by", "a", "--text", "t", "--place", "tadmur", *PALMYRA[2:])
    assert same["place"]["longitude"] == 38.2684
    south = claim(
        catalogue, item, "--by", "a", "--text", "t", "--place", "Sydney", "--lat", "-33.87", "--lon", "151.2"
    )
    assert (south["place"]["latitude"], south["place"]["longitude"]) == (-33.87, 151.2)
    before = snapshot(catalogue)
    for args, says in [
        (["--place", "Tadmur", "--lat", "35", "--lon", "38.2684"], "is recorded at 34.5505, 38.2684"),
        (["--place", "x", "--lat", "91", "--lon", "0"], "--lat"),
        (["--place", "x", "--lat", "0", "--lon", "-180.5"], "--lon"),
        (["--place", "x", "--lat", "1"], "both --lat and --lon"),
        (["--lat", "1", "--lon", "1"], "--place"),
        (["--place", "y", "--precision", "town"], "--precision"),
    ]:
        result = catalogue.run("claim", item, "--by", "a", "--text", "t", *args)
        assert result.exit_code == 2, (args, result.output)
        assert says in result.stderr, (args, result.stderr)
    assert snapshot(catalogue) == before


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--url", "javascript:alert(1)"], "http:// or https://"),
        (["--url", "JavaScript:alert(document.cookie)//http://x"], "http:// or https://"),
        (["--url", "file:///etc/passwd"], "http:// or https://"),
        (["--url", "http://"], "http:// or https://"),
        (["--url", "https://exa mple.org/"], "http:// or https://"),
        (["--url", "data:text/html,<script>alert(1)</script>"], "http:// or https://"),
        (["--text", ""], "cannot be empty"),
        (["--text", "   "], "cannot be empty"),
        (["--by", ""], "cannot be empty"),
        (["--date", "24/03/2016"], "--date"),
        (["--date", "2016-03-24T10:00"], "timezone"),
        (["--language", "english please"], "--language"),
        (["--counters", "99"], "no claim with id 99"),
        (["--counters", "1", "--date", "2016-03-24"], "asserts no event"),
        (["--counters", "1", "--place", "Palmyra"], "asserts no event"),
        (["--said-on", "last tuesday"], "--said-on"),
        (["--said-on", "2999-01-01"], "still to come"),
        (["--shows", "compas", "--strict"], "compas"),
    ],
)
def test_refused_claims_write_nothing(
    catalogue: Catalogue, media: dict[str, Path], args: list[str], says: str
) -> None:
    item = add(catalogue, media["copy"])["id"]
    terms(catalogue, "navigation › compass")
    before = snapshot(catalogue)
    base = {"--by": "someone", "--text": "something"}
    given = dict(zip(args[::2], args[1::2], strict=False))
    fill = [x for key, value in base.items() if key not in given for x in (key, value)]
    result = catalogue.run("claim", item, *fill, *args)
    assert result.exit_code == 2, result.output
    assert says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert snapshot(catalogue) == before
    assert catalogue.run("claim", "999999", "--by", "a", "--text", "t").exit_code == 2


def relate(cat: Catalogue, a: int, b: int, status: str) -> None:
    if status == "suggested":  # what the matcher would leave
        from datetime import UTC, datetime

        from evidence.catalogue.models import Relation

        db = Database(cat.url)
        try:
            with db.write() as session:
                low, high = sorted((a, b))
                row = Relation(a_id=low, b_id=high, kind="duplicate", created_at=datetime.now(UTC))
                session.add(row)
                session.flush()
                custody.append(
                    session,
                    actor="matcher",
                    action="suggest-relation",
                    subject="catalogue",
                    details={},
                    records=[("relation", row.id)],
                )
        finally:
            db.dispose()
        return
    cat.ok(
        "relate", str(a), str(b), "--confirm" if status == "confirmed" else "--reject", "--as", "duplicate"
    )


def test_described_contents_against_what_was_observed(catalogue: Catalogue, media: dict[str, Path]) -> None:
    video, copy = add(catalogue, media["video"]), add(catalogue, media["copy"])
    other, far = add(catalogue, media["other"]), add(catalogue, media["far"])
    terms(
        catalogue, "weapon › small arms › rifle › AK-74M", "navigation › compass", "medical › bandage packet"
    )
    relate(catalogue, video["id"], copy["id"], "confirmed")
    relate(catalogue, video["id"], other["id"], "rejected")
    relate(catalogue, copy["id"], far["id"], "suggested")
    said = claim(
        catalogue, video["id"], "--by", "Amaq", "--text", "spoils", "--shows", "rifle", "--shows", "compass"
    )
    assert [s["term"] for s in said["shows"]] == ["rifle", "compass"]
    by_source = catalogue.run("describe", video["id"], "bandage packet", "--source", "the caption", "--json")
    assert by_source.exit_code == 0 and json.loads(by_source.stdout)["recorded"] is True
    again = catalogue.run("describe", video["id"], "bandage packet", "--source", "the caption")
    assert again.exit_code == 0 and "already described" in again.stdout
    zorblax = catalogue.run("describe", video["id"], "zorblax", "--claim", said["id"], "--by", "ana")
    assert "note: 'zorblax' is not in the vocabulary; added as a free term" in zorblax.stderr
    assert catalogue.run("describe", video["id"], "zorblaxx-9", "--strict").exit_code == 2
    assert catalogue.run("describe", video["id"], "zorblax", "--claim", "99").exit_code == 2
    # a claim about the video does not speak for another item, even a copy of it
    elsewhere = catalogue.run("describe", copy["id"], "compass", "--claim", said["id"])
    assert elsewhere.exit_code == 2
    assert f"claim {said['id']} is about #{video['id']}, not #{copy['id']}" in elsewhere.stderr
    assert len(events(catalogue, "describe")) == 4  # rifle, compass, bandage packet, zorblax

    ak = catalogue.json("tag", video["id"], "AK-74M", "--frame", "30", "--box", "10,10,50,20")
    catalogue.ok("tag", copy["id"], "bandage packet", "--box", "1,1,10,10")
    catalogue.ok("tag", other["id"], "compass")  # a rejected pair: not a copy
    catalogue.ok("tag", far["id"], "zorblax")  # a copy of a copy, suggested only
    described = {d["term"]: d for d in catalogue.json("show", video["id"])["described"]}
    assert sorted(described) == ["bandage packet", "compass", "rifle", "zorblax"]
    rifle = described["rifle"]
    assert rifle["observed"] is True and rifle["path"] == ["weapon", "small arms", "rifle"]
    seen = [(w["tag"], w["item_id"], w["link"], w["term"], w["frame"], w["fragment"]) for w in rifle["where"]]
    assert seen == [(ak["id"], video["id"], "same", "AK-74M", 30, "t=1&xywh=10,10,50,20")]
    assert rifle["where"][0]["box"] == {"x": 10, "y": 10, "w": 50, "h": 20}
    assert rifle["described_by"][0]["claim"] == said["id"] and rifle["described_by"][0]["claimant"] == "Amaq"
    assert described["compass"]["observed"] is False and described["compass"]["where"] == []
    bandage = described["bandage packet"]
    on_copy = [(w["item_id"], w["sha256"], w["link"]) for w in bandage["where"]]
    assert on_copy == [(copy["id"], copy["sha256"], "confirmed")]
    assert bandage["described_by"][0]["source"] == "the caption"
    assert [(w["item_id"], w["link"]) for w in described["zorblax"]["where"]] == [(far["id"], "suggested")]

    shown = catalogue.ok("show", video["id"]).stdout
    assert "Described in claims (4)" in shown
    assert "✓ weapon › small arms › rifle — observed" in shown and f"tag {ak['id']} " in shown
    assert "compass — not yet observed" in shown and "✗ " in shown
    assert f"confirmed copy #{copy['id']}" in shown

    catalogue.ok("untag", str(ak["id"]), "--note", "a toy")  # a withdrawn tag observes nothing
    after = {d["term"]: d for d in catalogue.json("show", video["id"])["described"]}
    assert after["rifle"]["observed"] is False
    assert catalogue.run("verify").exit_code == 0


def test_the_library_view_for_provenance_and_reports(catalogue: Catalogue, media: dict[str, Path]) -> None:
    from evidence.annotation.claims import described
    from evidence.catalogue import vocab
    from evidence.catalogue.models import Item

    video = add(catalogue, media["video"])
    catalogue.ok("describe", video["id"], "zorblax", "--source", "a caption")
    db = Database(catalogue.url)
    try:
        with db.read() as session:
            entries = described(session, vocab.load(session), session.get_one(Item, video["id"]))
    finally:
        db.dispose()
    assert [e.to_json() | {"described_by": []} for e in entries] == [
        {"term": "zorblax", "path": ["zorblax"], "observed": False, "where": [], "described_by": []}
    ]
    with pytest.raises(FrozenInstanceError):
        entries[0].where = ()  # type: ignore[misc]


def test_hostile_claim_text_is_stored_and_shown_literally(
    catalogue: Catalogue, media: dict[str, Path]
) -> None:
    item = add(catalogue, media["copy"])["id"]
    for text in HOSTILE:
        made = claim(catalogue, item, "--by", text, "--text", text, "--place", text, "--language", "en-GB")
        assert (made["claimant"], made["text"], made["place"]["name"]) == (text, text, text)
    listed = catalogue.json("claims", item)["claims"]
    assert [c["text"] for c in listed] == HOSTILE
    human = catalogue.ok("claims", item).stdout
    for text in HOSTILE:
        assert text in human
    nul = claim(catalogue, item, "--by", "x", "--text", "a\x00b\x1b[2Jc")
    assert nul["text"] == "ab\x1b[2Jc"  # NUL cannot be stored; the rest is kept as given
    shown = catalogue.ok("claims", item).stdout
    assert "\x1b" not in shown and "ab\\x1b[2Jc" in shown
    assert len(catalogue.json("list")["items"]) == 1
    assert catalogue.run("verify").exit_code == 0


def test_a_withdrawn_claim_is_kept_and_counts_for_nothing(
    catalogue: Catalogue, media: dict[str, Path]
) -> None:
    """A claim recorded against the wrong item is withdrawn: shown with `claims --all` and in the log,
    but no longer listed, warned about, searched, counted or compared with the tags."""
    item = catalogue.json("add", media["copy"], "--posted-at", "2016-03-20")["results"][0]
    ref = str(item["id"])
    wrong = claim(
        catalogue, ref, "--by", "Amaq", "--text", "the convoy was hit", "--date", "2016-03-24",
        *PALMYRA, "--shows", "compass",
    )  # fmt: skip
    answer = claim(catalogue, ref, "--by", "Ministry", "--text", "no convoy", "--counters", wrong["id"])

    def found(*args: str) -> set[int]:
        return {hit["id"] for hit in catalogue.json("search", *args)["results"]}

    searches = [
        ("--claimed-by", "amaq"),
        ("--place", "palmyra"),
        ("--text", "convoy was hit"),
        ("--since", "2016-03-24", "--until", "2016-03-24"),
    ]
    assert all(found(*s) == {item["id"]} for s in searches)
    assert [w["claim_id"] for w in catalogue.json("provenance", ref)["warnings"]] == [wrong["id"]]
    assert [d["term"] for d in catalogue.json("show", ref)["described"]] == ["compass"]

    taken = catalogue.run("claim", "withdraw", wrong["id"], "--note", "about another video", "--by", "ana")
    assert taken.exit_code == 0, taken.output
    assert f"withdrew claim {wrong['id']} by Amaq" in taken.stdout

    assert [c["id"] for c in catalogue.json("claims", ref)["claims"]] == [answer["id"]]
    kept = catalogue.json("claims", ref, "--all")["claims"]
    assert [c["id"] for c in kept] == [wrong["id"], answer["id"]]
    assert kept[0]["text"] == "the convoy was hit" and kept[0]["date"] == "2016-03-24"
    assert kept[0]["withdrawn"] is True and kept[0]["withdrawn_by"] == "ana"
    assert kept[0]["withdrawn_note"] == "about another video" and kept[0]["withdrawn_at"] is not None
    assert kept[1]["withdrawn"] is False and kept[1]["withdrawn_note"] is None
    assert "WITHDRAWN" in catalogue.ok("claims", ref, "--all").stdout
    assert "WITHDRAWN" not in catalogue.ok("claims", ref).stdout
    trail = catalogue.json("provenance", ref)
    assert trail["warnings"] == [] and [c["id"] for c in trail["claims"]] == [answer["id"]]
    assert all(found(*s) == set() for s in searches)
    shown = catalogue.json("show", ref)
    assert shown["claim_count"] == 1 and shown["described"] == []
    (logged,) = events(catalogue, "claim-withdraw")
    assert logged["subject"] == f"item:{item['sha256']}" and logged["note"] == "about another video"
    table = catalogue.ok("export", "--format", "csv", "--table", "claims").stdout.splitlines()
    header = table[0].split(",")
    rows = {r.split(",")[0]: dict(zip(header, r.split(","), strict=False)) for r in table[1:]}
    assert rows[str(wrong["id"])]["withdrawn"] == "true" and rows[str(answer["id"])]["withdrawn"] == "false"

    before = snapshot(catalogue)
    again = catalogue.run("claim", "withdraw", wrong["id"], "--note", "twice")
    assert again.exit_code == 2 and f"claim {wrong['id']} was already withdrawn" in again.stderr
    missing = catalogue.run("claim", "withdraw", "999", "--note", "x")
    assert missing.exit_code == 2 and "no claim with id 999" in missing.stderr
    assert catalogue.run("claim", "withdraw", answer["id"], "--note", " ").exit_code == 2
    described_by_it = catalogue.run("describe", ref, "helmet", "--claim", wrong["id"])
    assert described_by_it.exit_code == 2 and "was withdrawn" in described_by_it.stderr
    assert snapshot(catalogue) == before
    assert catalogue.run("verify").exit_code == 0


def test_an_unknown_term_suggests_the_curated_terms_it_is_near(
    catalogue: Catalogue, media: dict[str, Path]
) -> None:
    ref = str(add(catalogue, media["copy"])["id"])
    typo = catalogue.run("tag", ref, "helmt")
    assert typo.exit_code == 0
    assert "'helmt' is not in the vocabulary; added as a free term; did you mean" in typo.stderr
    assert "'protective gear › helmet'" in typo.stderr
    again = catalogue.run("describe", ref, "helmt", "--source", "caption")
    assert "'helmt' is a free term" in again.stderr and "'protective gear › helmet'" in again.stderr
    nothing_near = catalogue.run("tag", ref, "qqqzzzxxj")
    assert "added as a free term\n" in nothing_near.stderr and "did you mean" not in nothing_near.stderr


def test_a_withdrawn_description_is_kept_and_compared_with_nothing(
    catalogue: Catalogue, media: dict[str, Path]
) -> None:
    ref = str(add(catalogue, media["copy"])["id"])
    said = catalogue.json("describe", ref, "compass", "--source", "the caption")
    right = catalogue.json("describe", ref, "helmet", "--source", "the caption")
    shown = catalogue.ok("show", ref).stdout
    assert f"[description {said['description']}]" in shown
    assert [d["term"] for d in catalogue.json("show", ref)["described"]] == ["compass", "helmet"]

    taken = catalogue.run("describe", "withdraw", said["description"], "--note", "it is a watch")
    assert taken.exit_code == 0, taken.output
    assert f"withdrew description {said['description']}: #{ref}" in taken.stdout
    assert [d["term"] for d in catalogue.json("show", ref)["described"]] == ["helmet"]
    (logged,) = events(catalogue, "describe-withdraw")
    assert logged["note"] == "it is a watch" and logged["term"][-1] == "compass"
    before = snapshot(catalogue)
    again = catalogue.run("describe", "withdraw", said["description"], "--note", "x")
    assert again.exit_code == 2 and "already withdrawn" in again.stderr
    assert catalogue.run("describe", "withdraw", "999", "--note", "x").exit_code == 2
    assert snapshot(catalogue) == before
    # the same description may be recorded again once the first was withdrawn
    anew = catalogue.json("describe", ref, "compass", "--source", "the caption")
    assert anew["recorded"] is True and anew["description"] != said["description"]
    assert right["recorded"] is True
    assert catalogue.run("verify").exit_code == 0
