"""The annotation use cases called as a library (no CLI): terms of the vocabulary, tags on a whole item,
a frame, a time or a box (`tag`/`untag`/`list_tags`), claims (`record_claim`/`list_claims`) and what
they say the footage shows (`describe`/`described_of`). Every change leaves a custody event."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import pytest
from conftest import Catalogue
from library import ACTOR, actions, add_one_file, events, head_seq, opened
from mediagen import make_image, make_video
from sqlalchemy import select

from evidence.annotation import vocabulary
from evidence.annotation.claims import list_claims, record_claim
from evidence.annotation.described import describe, described_of
from evidence.annotation.tags import list_tags, tag, untag
from evidence.catalogue.models import Frame
from evidence.core.fragment import Box
from evidence.core.timeutil import parse_instant
from evidence.errors import NotFound, UsageError
from evidence.ingest.add import FileResult
from evidence.matching.match import decide_relation
from evidence.workspace import Workspace

RIFLE = "case weapon › case rifle"


@pytest.fixture
def ws(catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    with opened(catalogue, monkeypatch) as workspace:
        vocabulary.add(workspace, RIFLE, aliases=["кейс-карабин"], language="ru", actor=ACTOR)
        yield workspace


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("media") / "clip.mp4", seconds=2, fps=10, size=(160, 120))


def _image(cat: Catalogue, ws: Workspace, name: str, seed: int) -> FileResult:
    return add_one_file(ws, make_image(cat.home / name, (96, 64), seed=seed), analyse=False)


def test_terms_are_added_with_aliases_and_logged(ws: Workspace) -> None:
    before = head_seq(ws)
    added = vocabulary.add(ws, "case weapon › case rifle › case carbine", aliases=[], actor=ACTOR)
    assert added.created == (("case weapon", "case rifle", "case carbine"),)
    assert added.term.path == ("case weapon", "case rifle", "case carbine")
    assert [a for a, _ in actions(ws, after=before)] == ["term-add"]
    [rifle] = [t for t in vocabulary.tree(ws, under="case weapon") if t.label == "case rifle"]
    assert rifle.aliases == (("кейс-карабин", "ru"),)
    with pytest.raises(UsageError, match="unknown term"):
        vocabulary.alias(ws, "no such term anywhere", "x", actor=ACTOR)


def test_tags_on_the_whole_item_a_frame_a_time_a_range_and_a_box(
    catalogue: Catalogue, ws: Workspace, clip: Path
) -> None:
    video = add_one_file(ws, clip)
    ref = str(video.id)
    with ws.db.read() as session:
        stored = [(f.idx, f.t) for f in session.scalars(select(Frame).where(Frame.item_id == video.id))]
    assert len(stored) >= 2
    (first_idx, first_t), (last_idx, last_t) = (
        min(stored, key=lambda f: f[1]),
        max(stored, key=lambda f: f[1]),
    )
    before = head_seq(ws)

    whole = tag(ws, ref, "case rifle", actor=ACTOR)
    assert (whole.tag.path, whole.tag.fragment, whole.free) == (("case weapon", "case rifle"), "", False)
    boxed = tag(
        ws, ref, "кейс-карабин", frame=first_idx, box=Box(10, 20, 30, 40), confidence=0.8, actor=ACTOR
    )
    assert boxed.tag.term == "case rifle"  # found by its alias
    assert boxed.tag.frame == first_idx and boxed.tag.t_start == pytest.approx(first_t)
    assert (boxed.tag.frame_width, boxed.tag.frame_height) == (160, 120)
    assert boxed.tag.fragment.endswith("&xywh=10,20,30,40")
    snapped = tag(ws, ref, RIFLE, at=Fraction(last_t) + Fraction(1, 100), actor=ACTOR)
    assert snapped.snap is not None and (snapped.snap.frame, snapped.snap.t) == (last_idx, last_t)
    ranged = tag(
        ws, ref, RIFLE, time_range=(Fraction(1, 2), Fraction(3, 2)), note="muzzle flash", actor=ACTOR
    )
    assert (ranged.tag.t_start, ranged.tag.t_end, ranged.tag.fragment) == (0.5, 1.5, "t=0.5,1.5")
    free = tag(ws, ref, "case unheard-of thing", actor=ACTOR)
    assert (free.free, free.created) == (True, ("case unheard-of thing",))

    made = [whole, boxed, snapped, ranged, free]
    listed = list_tags(ws, video.sha256 or "")
    assert listed.item.id == video.id
    assert [t.id for t in listed.tags] == [r.tag.id for r in made]
    logged = events(ws, after=before)
    tagged = [e for e in logged if e.action == "tag"]
    assert [e.details["tag"] for e in tagged] == [r.tag.id for r in made]
    assert {e.subject for e in tagged} == {f"item:{video.sha256}"}
    assert tagged[1].details["box"] == {"x": 10, "y": 20, "w": 30, "h": 40}
    assert "term-add" in [e.action for e in logged]  # the free term was made and logged

    before = head_seq(ws)
    withdrawn = untag(ws, boxed.tag.id, note="misread", actor="reviewer")
    assert withdrawn.id == boxed.tag.id
    assert [t.id for t in list_tags(ws, ref).tags] == [
        whole.tag.id,
        snapped.tag.id,
        ranged.tag.id,
        free.tag.id,
    ]
    kept = {t.id: t for t in list_tags(ws, ref, include_withdrawn=True).tags}
    assert (kept[boxed.tag.id].withdrawn_by, kept[boxed.tag.id].withdrawn_note) == ("reviewer", "misread")
    assert kept[boxed.tag.id].box == Box(10, 20, 30, 40)  # kept as it was
    assert actions(ws, after=before) == [("untag", f"item:{video.sha256}")]


def test_tags_in_impossible_places_are_refused_and_nothing_is_logged(
    catalogue: Catalogue, ws: Workspace, clip: Path
) -> None:
    video = str(add_one_file(ws, clip).id)
    picture = str(_image(catalogue, ws, "still.png", 1).id)
    taken = tag(ws, video, RIFLE, actor=ACTOR).tag.id
    untag(ws, taken, actor=ACTOR)
    before = head_seq(ws)
    refused = {
        "box outside": dict(box=Box(150, 100, 30, 40)),
        "after the end": dict(time_range=(Fraction(1), Fraction(30))),
        "frame and at": dict(frame=0, at=Fraction(1)),
        "no such frame": dict(frame=10_000),
    }
    for where in refused.values():
        with pytest.raises(UsageError):
            tag(ws, video, RIFLE, actor=ACTOR, **where)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="cannot place a tag"):
        tag(ws, picture, RIFLE, at=Fraction(1), actor=ACTOR)
    with pytest.raises(UsageError, match="unknown term"):
        tag(ws, video, "case nothing like it", strict=True, actor=ACTOR)
    with pytest.raises(UsageError, match="already withdrawn"):
        untag(ws, taken, actor=ACTOR)
    with pytest.raises(NotFound):
        untag(ws, 999_999, actor=ACTOR)
    with pytest.raises(NotFound):
        list_tags(ws, "999")
    assert head_seq(ws) == before


def test_claims_are_recorded_listed_and_answered(catalogue: Catalogue, ws: Workspace) -> None:
    first = _image(catalogue, ws, "first.png", 1)
    second = _image(catalogue, ws, "second.png", 2)
    before = head_seq(ws)
    made = record_claim(
        ws,
        [str(first.id), second.sha256 or ""],
        claimant="@amaq",
        text="five soldiers near Palmyra",
        date=parse_instant("2016-03-24"),
        place="Palmyra",
        latitude=34.55,
        longitude=38.27,
        url="https://t.me/x/1",
        language="ar",
        shows=[RIFLE],
        actor=ACTOR,
    )
    assert (made.claimant_created, made.place_change, made.free_terms) == (True, "created", ())
    claim = made.claim
    assert (claim.claimant, claim.statement, claim.date) == (
        "@amaq",
        "five soldiers near Palmyra",
        "2016-03-24",
    )
    assert claim.place is not None and (claim.place.name, claim.place.latitude) == ("Palmyra", 34.55)
    assert [i for i, _ in claim.items] == [first.id, second.id]
    assert claim.shows == (("case weapon", "case rifle"),)
    logged = actions(ws, after=before)
    assert [a for a, _ in logged].count("claimant-add") == 1
    assert ("place-add", f"place:{claim.place.id}") in logged
    assert [s for a, s in logged if a == "claim"] == [f"item:{first.sha256}", f"item:{second.sha256}"]
    assert [s for a, s in logged if a == "describe"] == [f"item:{first.sha256}", f"item:{second.sha256}"]

    answer = record_claim(
        ws, [str(second.id)], claimant="  @AMAQ ", text="it was elsewhere", counters=claim.id, actor=ACTOR
    )
    assert answer.claimant_created is False and answer.claim.claimant == "@amaq"
    listed = list_claims(ws, str(second.id))
    assert [(c.id, c.counters, c.countered_by) for c in listed.claims] == [
        (claim.id, None, (answer.claim.id,)),
        (answer.claim.id, claim.id, ()),
    ]
    assert [c.id for c in list_claims(ws, str(first.id)).claims] == [claim.id]

    before = head_seq(ws)
    with pytest.raises(UsageError, match="http"):
        record_claim(ws, [str(first.id)], claimant="x", text="y", url="javascript:alert(1)", actor=ACTOR)
    with pytest.raises(NotFound, match="to counter"):
        record_claim(ws, [str(first.id)], claimant="x", text="y", counters=999, actor=ACTOR)
    with pytest.raises(UsageError, match="--place"):
        record_claim(ws, [str(first.id)], claimant="x", text="y", latitude=1.0, longitude=2.0, actor=ACTOR)
    with pytest.raises(UsageError, match="at least one item"):
        record_claim(ws, [], claimant="x", text="y", actor=ACTOR)
    with pytest.raises(NotFound):
        record_claim(ws, ["999"], claimant="x", text="y", actor=ACTOR)
    assert head_seq(ws) == before


def test_described_contents_are_observed_on_the_item_or_its_copies(
    catalogue: Catalogue, ws: Workspace
) -> None:
    item = _image(catalogue, ws, "claimed.png", 3)
    copy = _image(catalogue, ws, "copy.png", 4)
    before = head_seq(ws)
    said = describe(ws, str(item.id), "case weapon", source="news report", actor=ACTOR)
    assert (said.recorded, said.path, said.source, said.free) == (
        True,
        ("case weapon",),
        "news report",
        False,
    )
    assert actions(ws, after=before) == [("describe", f"item:{item.sha256}")]
    again = describe(ws, str(item.id), "case weapon", source="news report", actor=ACTOR)
    assert (again.recorded, again.description_id) == (False, said.description_id)
    assert len(events(ws, after=before)) == 1  # the same description is not recorded twice

    _, [weapon] = described_of(ws, str(item.id))
    assert (weapon.path, weapon.observed) == (("case weapon",), False)
    assert [(b.source, b.created_by) for b in weapon.by] == [("news report", ACTOR)]

    # a rifle (below weapon) tagged on a copy observes it once the copy is linked; on the item itself too
    on_copy = tag(ws, str(copy.id), RIFLE, actor=ACTOR).tag
    assert described_of(ws, str(item.id))[1][0].observed is False
    decide_relation(ws, str(item.id), str(copy.id), confirm=True, kind="duplicate", note=None, actor=ACTOR)
    on_item = tag(ws, str(item.id), RIFLE, actor=ACTOR).tag
    _, [weapon] = described_of(ws, str(item.id))
    assert [(o.tag.id, o.link) for o in weapon.where] == [(on_item.id, "same"), (on_copy.id, "confirmed")]

    with pytest.raises(NotFound, match="no claim"):
        describe(ws, str(item.id), "case weapon", claim_id=999, actor=ACTOR)
    with pytest.raises(NotFound):
        described_of(ws, "abcdef0123")
