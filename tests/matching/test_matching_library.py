"""The matching use cases called as a library (no CLI): a re-encoded or trimmed copy added after its
source gets a suggested relation that `duplicate_clusters` reports and `decide_relation` confirms or
rejects (a rejected pair is never suggested again); `match_file` looks a file up without writing;
`rebuild_index` re-makes the band index. Every decision leaves a custody event."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Catalogue
from footage import edited, generated_photo, pan_frames, resize, trim, write_clip
from library import ACTOR, actions, add_one_file, events, head_seq, opened
from mediagen import make_image
from sqlalchemy import func, select

from evidence.catalogue.models import Item
from evidence.catalogue.relations import relations_of
from evidence.errors import InputRefused, NotFound, UsageError
from evidence.ingest.add import AddOptions, add_paths
from evidence.ingest.analyze import analyze_items
from evidence.matching.match import decide_relation, duplicate_clusters, match_file, rebuild_index
from evidence.workspace import Workspace

FPS = 15
SECONDS = 6
EXCERPT = (22, 67)  # frames of the source the excerpt keeps (1.47 s to 4.47 s)


@pytest.fixture
def ws(catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    with opened(catalogue, monkeypatch) as workspace:
        yield workspace


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("footage")
    size = (160, 120)
    source = list(pan_frames(generated_photo(0, (640, 480)), SECONDS, FPS, size=size, seed=1))
    other = list(pan_frames(generated_photo(1, (640, 480)), SECONDS, FPS, size=size, seed=2))
    return {
        "source": write_clip(folder / "source.mp4", source, fps=FPS),
        "other": write_clip(folder / "other.mp4", other, fps=FPS),
        "reencoded": write_clip(folder / "reencoded.mp4", edited(source, resize(120, 90)), fps=FPS, crf=35),
        "excerpt": write_clip(folder / "excerpt.mp4", trim(source, *EXCERPT), fps=FPS),
    }


def test_a_reencoded_copy_is_suggested_clustered_and_confirmed(ws: Workspace, media: dict[str, Path]) -> None:
    paths = [media["source"], media["other"], media["reencoded"]]
    source, other, copy = add_paths(ws, paths, AddOptions(actor=ACTOR)).results
    assert [r.status for r in (source, other, copy)] == ["added"] * 3
    assert source.near_duplicates == () and other.near_duplicates == ()
    [found] = copy.near_duplicates
    assert (found.match.item_id, found.sha256, found.match.classification) == (
        source.id,
        source.sha256,
        "duplicate",
    )
    [suggested] = [e for e in events(ws) if e.action == "suggest-relation"]
    assert suggested.subject == f"item:{copy.sha256}"
    assert (suggested.details["other"], suggested.details["kind"]) == (source.sha256, "duplicate")

    [cluster] = duplicate_clusters(ws)
    assert [i.id for i in cluster] == [source.id, copy.id]  # earliest catalogued first

    before = head_seq(ws)
    assert copy.sha256 is not None
    decision = decide_relation(
        ws, str(source.id), copy.sha256[:12], confirm=True, kind=None, note="same upload", actor=ACTOR
    )
    assert (decision.relation.status, decision.relation.kind) == ("confirmed", "duplicate")
    assert (decision.relation.decided_by, decision.relation.note) == (ACTOR, "same upload")
    assert (decision.a.id, decision.b.id) == (source.id, copy.id)
    [confirmed] = events(ws, after=before)
    assert (confirmed.action, confirmed.subject) == ("confirm-relation", f"item:{source.sha256}")
    assert confirmed.details["other"] == copy.sha256
    assert [[i.id for i in c] for c in duplicate_clusters(ws)] == [[source.id, copy.id]]


def test_a_rejected_pair_is_not_suggested_again(ws: Workspace, media: dict[str, Path]) -> None:
    source, excerpt = add_paths(ws, [media["source"], media["excerpt"]], AddOptions(actor=ACTOR)).results
    [found] = excerpt.near_duplicates
    assert (found.match.item_id, found.match.classification) == (source.id, "excerpt-of")
    assert found.match.offsets[0] == pytest.approx(EXCERPT[0] / FPS, abs=0.15)
    assert len(duplicate_clusters(ws)) == 1

    decision = decide_relation(
        ws, str(excerpt.id), str(source.id), confirm=False, kind=None, note="another day", actor=ACTOR
    )
    assert decision.relation.status == "rejected"
    assert duplicate_clusters(ws) == []

    before = head_seq(ws)
    [outcome] = analyze_items(
        ws, [str(excerpt.id)], pending=False, failed=False, everything=False, actor=ACTOR
    )
    assert str(outcome.status) == "ok"
    assert [a for a, _ in actions(ws, after=before)] == ["analyse"]  # matched, but nothing suggested
    assert duplicate_clusters(ws) == []
    # the matcher still finds the pair: it is the rejection that keeps it from being suggested
    assert source.id in {f.match.item_id for f in match_file(ws, media["excerpt"]).matches}
    with ws.db.read() as session:
        [(state, other)] = relations_of(session, excerpt.id or 0)
    assert (other.id, state.status, state.note) == (source.id, "rejected", "another day")


def test_match_file_looks_a_file_up_without_writing(ws: Workspace, media: dict[str, Path]) -> None:
    source = add_one_file(ws, media["source"])
    before = head_seq(ws)
    looked_up = match_file(ws, media["excerpt"])
    assert (looked_up.exact, looked_up.kind, looked_up.analysis) == (None, "video", "ok")
    assert looked_up.query_frames > 0
    [found] = looked_up.matches
    assert (found.match.item_id, found.match.classification) == (source.id, "excerpt-of")
    assert found.match.offsets[0] == pytest.approx(EXCERPT[0] / FPS, abs=0.15)
    assert match_file(ws, media["source"]).exact == (source.id, source.sha256)
    assert match_file(ws, media["other"]).matches == []
    assert head_seq(ws) == before  # nothing logged
    with ws.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Item)) == 1  # nothing added

    rows = rebuild_index(ws, actor=ACTOR)
    assert rows > 0
    [reindexed] = events(ws, after=before)
    assert (reindexed.action, reindexed.details["band_rows"]) == ("reindex", rows)
    [again] = match_file(ws, media["excerpt"]).matches
    assert again.match.item_id == source.id


def test_bad_decisions_and_inputs_are_refused(catalogue: Catalogue, ws: Workspace) -> None:
    first = add_one_file(ws, make_image(catalogue.home / "first.png", (96, 64), seed=1), analyse=False)
    second = add_one_file(ws, make_image(catalogue.home / "second.png", (96, 64), seed=2), analyse=False)
    a, b = str(first.id), str(second.id)
    before = head_seq(ws)
    with pytest.raises(UsageError, match="itself"):
        decide_relation(ws, a, a, confirm=True, kind="duplicate", note=None, actor=ACTOR)
    with pytest.raises(UsageError, match="nothing was suggested"):
        decide_relation(ws, a, b, confirm=True, kind=None, note=None, actor=ACTOR)
    with pytest.raises(UsageError, match="must be one of"):
        decide_relation(ws, a, b, confirm=True, kind="twin", note=None, actor=ACTOR)
    with pytest.raises(NotFound):
        decide_relation(ws, a, "999", confirm=True, kind="duplicate", note=None, actor=ACTOR)
    with pytest.raises(InputRefused):
        match_file(ws, catalogue.home / "missing.mp4")
    assert head_seq(ws) == before and duplicate_clusters(ws) == []

    # an analyst may link two items nothing suggested, by saying what they are
    decision = decide_relation(ws, b, a, confirm=True, kind="excerpt-of", note=None, actor=ACTOR)
    assert (decision.relation.a_id, decision.relation.b_id) == (first.id, second.id)
    assert (decision.relation.status, decision.relation.kind) == ("confirmed", "contains")
    assert actions(ws, after=before) == [("confirm-relation", f"item:{first.sha256}")]
    assert [[i.id for i in c] for c in duplicate_clusters(ws)] == [[first.id, second.id]]


def test_analyze_all_re_scores_older_suggestions_and_keeps_decisions(
    ws: Workspace, media: dict[str, Path]
) -> None:
    from evidence.catalogue.models import Relation
    from evidence.core.matching import MATCHER_VERSION

    paths = [media["source"], media["reencoded"], media["excerpt"]]
    source, copy, excerpt = add_paths(ws, paths, AddOptions(actor=ACTOR)).results
    decide_relation(ws, str(source.id), str(copy.id), confirm=True, kind=None, note="same", actor=ACTOR)
    with ws.db.write() as session:  # as an older matcher left them
        for relation in session.scalars(select(Relation)):
            relation.matcher, relation.score = "pdq-offset-1", 0.01
    before = head_seq(ws)
    analyze_items(ws, [], pending=False, failed=False, everything=True, actor=ACTOR)
    with ws.db.read() as session:
        states = {(r.a_id, r.b_id): r for r in session.scalars(select(Relation))}
        decided = {other.id: state for state, other in relations_of(session, source.id or 0)}
    suggested = states[(min(source.id or 0, excerpt.id or 0), max(source.id or 0, excerpt.id or 0))]
    assert (suggested.matcher, suggested.kind) == (MATCHER_VERSION, "contains")  # source contains excerpt
    assert suggested.score > 0.5
    assert (decided[copy.id].status, decided[copy.id].note) == ("confirmed", "same")  # not overwritten
    assert "suggest-relation" in [a for a, _ in actions(ws, after=before)]
