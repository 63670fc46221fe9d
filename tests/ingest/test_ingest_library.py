"""The ingest use cases called as a library (no CLI): `add_paths`/`add_one` preserve files read-only
in the store and say what became of each, `analyze_items` analyses what was left pending; every change
leaves custody events."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import Catalogue
from library import ACTOR, actions, events, head_seq, opened, read_only
from mediagen import make_video
from sqlalchemy import func, select

from evidence.catalogue.models import Acquisition, Frame, Item
from evidence.core.timeutil import parse_instant
from evidence.errors import InputRefused, NotFound
from evidence.ingest.add import AddOptions, add_one, add_paths
from evidence.ingest.analyze import analyze_items
from evidence.workspace import Workspace


@pytest.fixture
def ws(catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    with opened(catalogue, monkeypatch) as workspace:
        yield workspace


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("media") / "clip.mp4", seconds=1, fps=10, size=(160, 120))


def _incoming(home: Path, clip: Path) -> Path:
    folder = home / "incoming"
    folder.mkdir()
    (folder / "a-note.txt").write_text("tip one\n")
    (folder / "b-note.txt").write_text("tip two\n")
    (folder / ".hidden.txt").write_text("not to be added\n")
    (folder / "c-empty.txt").write_bytes(b"")
    (folder / "d-clip.mp4").write_bytes(clip.read_bytes())
    return folder


def test_add_paths_reports_each_file_and_preserves_it_read_only(
    catalogue: Catalogue, ws: Workspace, clip: Path
) -> None:
    folder = _incoming(catalogue.home, clip)
    missing = catalogue.home / "nowhere.mp4"
    before = head_seq(ws)
    report = add_paths(ws, [folder, missing], AddOptions(actor=ACTOR))
    by_name = {Path(r.path).name: r for r in report.results}
    assert set(by_name) == {"nowhere.mp4", "a-note.txt", "b-note.txt", "c-empty.txt", "d-clip.mp4"}
    assert by_name["nowhere.mp4"].status == "failed" and "no such file" in (
        by_name["nowhere.mp4"].error or ""
    )
    assert by_name["c-empty.txt"].status == "failed" and "empty" in (by_name["c-empty.txt"].error or "")
    video = by_name["d-clip.mp4"]
    assert (video.status, video.kind, video.analysis) == ("added", "video", "ok")
    for name in ("a-note.txt", "b-note.txt", "d-clip.mp4"):
        result = by_name[name]
        assert result.status == "added" and result.id is not None and result.sha256 is not None
        stored = ws.store.path_for(result.sha256)
        assert stored.read_bytes() == (folder / name).read_bytes()
        assert read_only(stored), name
    # each new item: preserved then acquired, under its own subject; the video also analysed
    logged = actions(ws, after=before)
    for name in ("a-note.txt", "b-note.txt"):
        subject = f"item:{by_name[name].sha256}"
        assert [a for a, s in logged if s == subject] == ["preserve", "acquire", "analyse"]
    assert [a for a, s in logged if s == f"item:{video.sha256}"] == ["preserve", "acquire", "analyse"]
    # the hidden file was left out and the empty one refused: only the three added files are stored
    assert len(list(ws.store.iter_objects())) == 3

    # the same bytes again: a duplicate of the same item, one more acquisition, nothing preserved twice
    copy = catalogue.home / "renamed.txt"
    copy.write_text("tip one\n")
    before = head_seq(ws)
    [again] = add_paths(ws, [copy], AddOptions(actor=ACTOR)).results
    first = by_name["a-note.txt"]
    assert (again.status, again.id, again.sha256) == ("duplicate", first.id, first.sha256)
    assert again.acquisition_id != first.acquisition_id
    [acquired] = events(ws, after=before)
    assert (acquired.action, acquired.subject, acquired.actor) == ("acquire", f"item:{first.sha256}", ACTOR)
    assert acquired.details["duplicate"] is True
    with ws.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Item)) == 3
        names = session.scalars(
            select(Acquisition.original_name).where(Acquisition.item_id == first.id).order_by(Acquisition.id)
        )
        assert list(names) == ["a-note.txt", "renamed.txt"]


def test_what_the_analyst_says_about_the_source_is_kept_with_the_acquisition(
    catalogue: Catalogue, ws: Workspace
) -> None:
    tip = catalogue.home / "tip.txt"
    tip.write_text("a tip from a channel\n")
    options = AddOptions(
        actor=ACTOR,
        source_url="https://t.me/channel/42",
        posted_at=parse_instant("2016-03-24T10:00Z"),
        claimed_by="@channel",
        collected_by="desk",
        note="first seen there",
    )
    result = add_one(ws, tip, options)
    assert result.status == "added"
    with ws.db.read() as session:
        acquisition = session.get_one(Acquisition, result.acquisition_id)
        assert acquisition.source_url == "https://t.me/channel/42"
        assert acquisition.posted_at == datetime(2016, 3, 24, 10, 0, tzinfo=UTC)
        assert (acquisition.claimed_by, acquisition.collected_by) == ("@channel", "desk")
        assert acquisition.note == "first seen there"
        assert acquisition.original_path == str(tip.resolve())
    acquired = events(ws)[-1]
    assert acquired.action == "acquire"
    assert acquired.details["source_url"] == "https://t.me/channel/42"
    assert acquired.details["claimed_by"] == "@channel"


def test_analysis_left_for_later_is_done_by_analyze_items(
    catalogue: Catalogue, ws: Workspace, clip: Path
) -> None:
    [added] = add_paths(ws, [clip], AddOptions(actor=ACTOR, analyse=False)).results
    assert (added.status, added.analysis) == ("added", "pending")
    assert "analyse" not in [a for a, _ in actions(ws)]
    with ws.db.read() as session:
        assert session.scalar(select(func.count()).where(Frame.item_id == added.id)) == 0

    before = head_seq(ws)
    [outcome] = analyze_items(ws, [], pending=True, failed=False, everything=False, actor=ACTOR)
    assert outcome.item_id == added.id
    assert (str(outcome.status), outcome.kind.value) == ("ok", "video")
    with ws.db.read() as session:
        item = session.get_one(Item, added.id)
        assert item.analysis == "ok"
        assert (session.scalar(select(func.count()).where(Frame.item_id == added.id)) or 0) > 0
    [analysed] = events(ws, after=before)
    assert (analysed.action, analysed.subject, analysed.actor) == ("analyse", f"item:{added.sha256}", ACTOR)
    assert analysed.details["status"] == "ok" and "derived" in analysed.details
    # nothing is pending any more
    assert analyze_items(ws, [], pending=True, failed=False, everything=False, actor=ACTOR) == []


def test_bad_input_is_refused_with_typed_errors_and_nothing_logged(
    catalogue: Catalogue, ws: Workspace
) -> None:
    empty = catalogue.home / "empty.mp4"
    empty.write_bytes(b"")
    before = head_seq(ws)
    with pytest.raises(InputRefused, match="empty file"):
        add_one(ws, empty, AddOptions(actor=ACTOR))
    with pytest.raises(InputRefused, match="no such file"):
        add_one(ws, catalogue.home / "missing.mp4", AddOptions(actor=ACTOR))
    with pytest.raises(InputRefused, match="not a regular file"):
        add_one(ws, catalogue.home, AddOptions(actor=ACTOR))
    with pytest.raises(NotFound):
        analyze_items(ws, ["999"], pending=False, failed=False, everything=False, actor=ACTOR)
    assert head_seq(ws) == before
    assert list(ws.store.iter_objects()) == []
