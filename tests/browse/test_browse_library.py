"""The browse use cases called as a library (no CLI): `list_catalogue`, `show_item` and `list_frames` show
what was recorded; `search` finds items by tag (and the terms below it), claimant, place, text, date and
kind, all combined; `provenance` lists an item's copies and the earliest known one. Nothing here writes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Catalogue
from library import ACTOR, add_one_file, head_seq, opened
from mediagen import make_image, make_video

from evidence.annotation import vocabulary
from evidence.annotation.claims import record_claim
from evidence.annotation.tags import tag, untag
from evidence.browse.items import list_catalogue, list_frames, show_item
from evidence.browse.provenance import provenance
from evidence.browse.search import SearchQuery, search
from evidence.core.timeutil import parse_instant
from evidence.errors import NotFound, UsageError
from evidence.ingest.add import FileResult
from evidence.matching.match import decide_relation
from evidence.workspace import Workspace


@pytest.fixture
def ws(catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    with opened(catalogue, monkeypatch) as workspace:
        vocabulary.add(workspace, "case weapon › case rifle", aliases=[], actor=ACTOR)
        vocabulary.add(workspace, "case vehicle", aliases=[], actor=ACTOR)
        yield workspace


def _image(cat: Catalogue, ws: Workspace, name: str, seed: int, **options: object) -> FileResult:
    return add_one_file(ws, make_image(cat.home / name, (96, 64), seed=seed), analyse=False, **options)


def _found(ws: Workspace, **query: object) -> set[int | None]:
    return {hit.item.id for hit in search(ws, SearchQuery(**query)).hits}  # type: ignore[arg-type]


def test_list_show_and_frames(catalogue: Catalogue, ws: Workspace) -> None:
    note = catalogue.home / "tip.txt"
    note.write_text("a tip\n")
    tip = add_one_file(ws, note, note="from a reader", source_url="https://example.org/tip")
    clip = make_video(catalogue.home / "clip.mp4", seconds=1, fps=10, size=(160, 120))
    video = add_one_file(ws, clip)
    assert tip.sha256 and video.sha256

    rows = list_catalogue(ws)
    assert [(r.item.id, r.original_name) for r in rows] == [(tip.id, "tip.txt"), (video.id, "clip.mp4")]
    assert [r.item.id for r in list_catalogue(ws, limit=1)] == [tip.id]

    taken = tag(ws, str(video.id), "case rifle", actor=ACTOR).tag
    tag(ws, str(video.id), "case vehicle", actor=ACTOR)
    untag(ws, taken.id, actor=ACTOR)
    record_claim(ws, [str(video.id)], claimant="@channel", text="filmed today", actor=ACTOR)
    before = head_seq(ws)
    shown = show_item(ws, video.sha256[:10])
    assert (shown.item.id, shown.item.kind, shown.item.analysis) == (video.id, "video", "ok")
    assert [a.original_name for a in shown.acquisitions] == ["clip.mp4"]
    assert [e.action for e in shown.events] == [
        "preserve",
        "acquire",
        "analyse",
        "tag",
        "tag",
        "untag",
        "claim",
    ]
    assert Path(shown.stored_at).read_bytes() == clip.read_bytes()
    assert (shown.tags, shown.withdrawn_tags, shown.claims) == (1, 1, 1)
    [acquired] = show_item(ws, str(tip.id)).acquisitions
    assert (acquired.note, acquired.source_url) == ("from a reader", "https://example.org/tip")

    frames = list_frames(ws, str(video.id))
    assert frames.item.id == video.id and frames.frames
    assert [f.frame.idx for f in frames.frames] == sorted(f.frame.idx for f in frames.frames)
    assert all(f.frame.item_id == video.id for f in frames.frames)
    assert any(f.hashes for f in frames.frames)  # sampled frames carry their fingerprints
    assert list_frames(ws, str(tip.id)).frames == []
    assert head_seq(ws) == before  # reading logs nothing

    with pytest.raises(NotFound):
        show_item(ws, "999")
    with pytest.raises(NotFound):
        list_frames(ws, "not-a-ref")


def test_search_by_tag_claimant_place_text_date_and_kind(catalogue: Catalogue, ws: Workspace) -> None:
    rifle = _image(catalogue, ws, "rifle.png", 1, posted_at=parse_instant("2016-03-20T12:00Z"))
    vehicle = _image(catalogue, ws, "vehicle.png", 2, note="seen near PALMYRA market")
    other = _image(catalogue, ws, "other.png", 3, claimed_by="Someone Else")
    note = catalogue.home / "rumour.txt"
    note.write_text("a rumour\n")
    rumour = add_one_file(ws, note, analyse=False, note="100% a rumour")
    tag(ws, str(rifle.id), "case rifle", actor=ACTOR)
    tag(ws, str(vehicle.id), "case vehicle", actor=ACTOR)
    withdrawn = tag(ws, str(other.id), "case rifle", actor=ACTOR).tag
    untag(ws, withdrawn.id, actor=ACTOR)
    record_claim(
        ws,
        [str(rifle.id)],
        claimant="@amaq",
        text="five soldiers near Palmyra",
        place="Palmyra",
        date=parse_instant("2016-03-24"),
        actor=ACTOR,
    )

    result = search(ws, SearchQuery(tags=("case weapon",)))
    assert [h.item.id for h in result.hits] == [rifle.id]  # by a term above the tag, not the withdrawn one
    assert result.hits[0].matched_terms == ("case weapon › case rifle",)
    assert result.terms == {"case weapon": ["case weapon", "case weapon › case rifle"]}
    assert _found(ws, claimed_by=("AMAQ",)) == {rifle.id}
    assert _found(ws, claimed_by=("someone",)) == {other.id}  # as claimed_by when it was added
    assert _found(ws, places=("palm",)) == {rifle.id}
    assert _found(ws, texts=("palmyra",)) == {rifle.id, vehicle.id}  # a claim, an acquisition note
    assert _found(ws, texts=("100%",)) == {rumour.id}  # literal, not a wildcard
    assert _found(ws, texts=("palmyra",), tags=("case vehicle",)) == {vehicle.id}  # AND
    assert _found(ws, kind="other") == {rumour.id}
    assert _found(ws, since="2016-03-19", until="2016-03-21") == {rifle.id}  # posted then
    assert _found(ws, since="2016-03-24", until="2016-03-24") == {rifle.id}  # the claimed day
    assert len(search(ws, SearchQuery(kind="image", limit=2)).hits) == 2
    [hit] = search(ws, SearchQuery(claimed_by=("@amaq",))).hits
    assert (hit.original_name, hit.claimants) == ("rifle.png", ("@amaq",))
    assert hit.posted_at is not None and hit.posted_at.isoformat().startswith("2016-03-20T12:00")

    with pytest.raises(UsageError, match="unknown term"):
        search(ws, SearchQuery(tags=("case spaceship",)))
    with pytest.raises(UsageError, match="--kind"):
        search(ws, SearchQuery(kind="hologram"))
    with pytest.raises(UsageError, match="--text"):
        search(ws, SearchQuery(texts=("   ",)))
    with pytest.raises(UsageError, match="--since"):
        search(ws, SearchQuery(since="last tuesday"))


def test_provenance_lists_the_copies_and_the_earliest(catalogue: Catalogue, ws: Workspace) -> None:
    first_seen = _image(catalogue, ws, "first.png", 1, posted_at=parse_instant("2016-03-25T09:00Z"))
    reposted = _image(
        catalogue, ws, "repost.png", 2, posted_at=parse_instant("2016-03-21"), source_url="https://t.me/a/7"
    )
    unrelated = _image(catalogue, ws, "unrelated.png", 3)
    decide_relation(
        ws, str(first_seen.id), str(reposted.id), confirm=True, kind="duplicate", note=None, actor=ACTOR
    )
    claim = record_claim(
        ws,
        [str(first_seen.id)],
        claimant="@amaq",
        text="filmed today",
        date=parse_instant("2016-03-24"),
        actor=ACTOR,
    ).claim

    before = head_seq(ws)
    found = provenance(ws, str(first_seen.id))
    assert found.subject.id == first_seen.id
    assert [m.item.id for m in found.members] == [first_seen.id, reposted.id]
    assert [(link.status, link.kind) for link in found.links] == [("confirmed", "duplicate")]
    earliest = found.earliest()
    assert earliest is not None
    assert (earliest["id"], earliest["basis"], earliest["is_subject"]) == (reposted.id, "posted_at", False)
    assert earliest["source_url"] == "https://t.me/a/7"
    [warning] = found.warnings()
    assert (warning["kind"], warning["item"]["id"], warning["claim_id"]) == (
        "predates-claim",
        reposted.id,
        claim.id,
    )
    assert [c["id"] for c in found.claims] == [claim.id]
    assert {e.subject for e in found.events} == {f"item:{first_seen.sha256}", f"item:{reposted.sha256}"}
    assert found.chain_ok and found.problems == []
    assert found.to_json()["chain"]["ok"] is True
    assert [m.item.id for m in provenance(ws, str(unrelated.id)).members] == [unrelated.id]
    assert head_seq(ws) == before

    # every copy's original is re-hashed: a changed one is reported
    assert reposted.sha256
    stored = ws.store.path_for(reposted.sha256)
    os.chmod(stored, 0o644)
    data = stored.read_bytes()
    stored.write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))
    again = provenance(ws, str(first_seen.id))
    assert not again.chain_ok and again.to_json()["chain"]["ok"] is False
    assert [reposted.sha256 in p for p in again.problems] == [True]

    with pytest.raises(NotFound):
        provenance(ws, "abcdef99")
