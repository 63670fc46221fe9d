"""The export use cases called as a library (no CLI): the records as JSON or CSV (returned, or written to
a file), a BagIt bag of the originals, an HTML report and a contact sheet of one item. Each export
returns or writes its data and is logged as one "export" custody event with the data's SHA-256."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path

import bagit
import pytest
from conftest import Catalogue
from library import ACTOR, add_one_file, events, head_seq, opened
from mediagen import make_image, make_video
from sqlalchemy import select

from evidence.annotation import vocabulary
from evidence.annotation.claims import record_claim
from evidence.annotation.tags import tag
from evidence.catalogue.models import Frame
from evidence.core.fragment import Box
from evidence.errors import NotFound, UsageError
from evidence.exports.bagit import export_bag
from evidence.exports.records import ExportFormat, export_records
from evidence.exports.report import make_report
from evidence.exports.sheet import make_sheet
from evidence.ingest.add import FileResult
from evidence.workspace import Workspace


@pytest.fixture
def ws(catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    with opened(catalogue, monkeypatch) as workspace:
        vocabulary.add(workspace, "case weapon › case rifle", aliases=[], actor=ACTOR)
        yield workspace


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("media") / "clip.mp4", seconds=2, fps=10, size=(160, 120))


def _annotated(cat: Catalogue, ws: Workspace, clip: Path) -> tuple[FileResult, FileResult]:
    """A video tagged on a frame (with a box) and claimed about, and a picture."""
    video = add_one_file(ws, clip, source_url="https://t.me/x/1")
    picture = add_one_file(ws, make_image(cat.home / "still.png", (96, 64)), analyse=False)
    with ws.db.read() as session:
        first = session.scalars(select(Frame.idx).where(Frame.item_id == video.id).order_by(Frame.t)).first()
    tag(ws, str(video.id), "case rifle", frame=first, box=Box(8, 8, 40, 30), actor=ACTOR)
    record_claim(ws, [str(video.id)], claimant="@amaq", text="filmed near Palmyra", actor=ACTOR)
    return video, picture


def test_records_export_as_json_and_csv_and_is_logged(
    catalogue: Catalogue, ws: Workspace, clip: Path
) -> None:
    video, picture = _annotated(catalogue, ws, clip)
    before = head_seq(ws)
    result = export_records(ws, [], fmt=ExportFormat.JSON, table=None, output=None, actor=ACTOR)
    assert (result.path, result.items) == (None, 2)
    assert result.sha256 == hashlib.sha256(result.data).hexdigest()
    document = json.loads(result.data)
    assert [i["sha256"] for i in document["items"]] == [video.sha256, picture.sha256]
    exported = document["items"][0]
    assert [t["term"]["path"] for t in exported["tags"]] == ["case weapon › case rifle"]
    assert [c["statement"] for c in exported["claims"]] == ["filmed near Palmyra"]
    assert exported["acquisitions"][0]["source_url"] == "https://t.me/x/1"
    assert document["catalogue"]["events"] == before  # the log as it stood, before the export's own event
    [logged] = events(ws, after=before)
    assert (logged.seq, logged.action, logged.subject, logged.actor) == (
        result.event_seq,
        "export",
        "catalogue",
        ACTOR,
    )
    assert (logged.details["format"], logged.details["destination"], logged.details["scope"]) == (
        "json",
        "stdout",
        "all",
    )
    assert (logged.details["sha256"], logged.details["path"]) == (result.sha256, None)

    target = catalogue.home / "tags.csv"
    result = export_records(
        ws, [str(video.id)], fmt=ExportFormat.CSV, table="tags", output=target, actor=ACTOR
    )
    assert target.read_bytes() == result.data and result.path == target and result.items == 1
    [row] = csv.DictReader(io.StringIO(result.data.decode("utf-8")))
    assert row["item_sha256"] == video.sha256 and "case rifle" in row["term_path"]
    assert (row["box_x"], row["box_w"]) == ("8", "40")
    logged = events(ws)[-1]
    assert (logged.details["table"], logged.details["scope"], logged.details["path"]) == (
        "tags",
        "items",
        str(target.resolve()),
    )
    assert logged.details["sha256"] == hashlib.sha256(target.read_bytes()).hexdigest()

    before = head_seq(ws)
    with pytest.raises(UsageError, match="--table"):
        export_records(ws, [], fmt=ExportFormat.JSON, table="tags", output=None, actor=ACTOR)
    with pytest.raises(UsageError, match="no table"):
        export_records(ws, [], fmt=ExportFormat.CSV, table="secrets", output=None, actor=ACTOR)
    with pytest.raises(UsageError, match="inside the catalogue"):
        export_records(
            ws, [], fmt=ExportFormat.JSON, table=None, output=catalogue.root / "x.json", actor=ACTOR
        )
    with pytest.raises(NotFound):
        export_records(ws, ["999"], fmt=ExportFormat.JSON, table=None, output=None, actor=ACTOR)
    assert head_seq(ws) == before


def test_a_bag_holds_the_originals_and_validates(catalogue: Catalogue, ws: Workspace, clip: Path) -> None:
    video, picture = _annotated(catalogue, ws, clip)
    before = head_seq(ws)
    made = export_bag(ws, [], catalogue.home / "bag", actor=ACTOR, organization="Desk")
    assert made.items == 2 and made.path == (catalogue.home / "bag").resolve()
    bag = bagit.Bag(str(made.path))
    bag.validate()
    assert bag.info["Source-Organization"] == "Desk"
    payload = {Path(p).name: (made.path / p).read_bytes() for p in bag.payload_files()}
    assert sorted(payload.values(), key=len) == sorted(
        [clip.read_bytes(), Path(catalogue.home / "still.png").read_bytes()], key=len
    )
    records = json.loads((made.path / "evidence" / "records.json").read_text())
    assert {i["sha256"] for i in records["items"]} == {video.sha256, picture.sha256}
    [logged] = events(ws, after=before)
    assert (logged.action, logged.details["format"], logged.details["manifest_sha256"]) == (
        "export",
        "bagit",
        made.manifest_sha256,
    )
    with pytest.raises(UsageError, match="not empty"):
        export_bag(ws, [], made.path, actor=ACTOR)
    assert head_seq(ws) == before + 1


def test_report_and_contact_sheet_are_written_and_logged(
    catalogue: Catalogue, ws: Workspace, clip: Path
) -> None:
    video, picture = _annotated(catalogue, ws, clip)
    assert video.sha256
    before = head_seq(ws)
    page = catalogue.home / "report.html"
    report = make_report(ws, video.sha256[:12], page, actor=ACTOR)
    html = page.read_text("utf-8")
    assert html.lstrip().lower().startswith("<!doctype html")
    assert video.sha256 in html and "filmed near Palmyra" in html and "case rifle" in html
    assert report.keyframes > 0 and report.tagged_pictures == 1
    assert (report.size, report.sha256) == (
        page.stat().st_size,
        hashlib.sha256(page.read_bytes()).hexdigest(),
    )
    [logged] = events(ws, after=before)
    assert (logged.action, logged.subject) == ("export", f"item:{video.sha256}")
    assert (logged.details["format"], logged.details["sha256"]) == ("html-report", report.sha256)

    sheet = make_sheet(ws, str(video.id), catalogue.home / "sheet.jpg", actor=ACTOR, columns=2)
    assert sheet.keyframes == report.keyframes
    assert sheet.path.read_bytes()[:3] == b"\xff\xd8\xff"  # a JPEG
    assert events(ws)[-1].details["format"] == "contact-sheet"

    before = head_seq(ws)
    with pytest.raises(UsageError, match="no keyframes"):
        make_sheet(ws, str(picture.id), catalogue.home / "none.jpg", actor=ACTOR)
    with pytest.raises(UsageError, match="directory"):
        make_report(ws, str(video.id), catalogue.home, actor=ACTOR)
    assert head_seq(ws) == before
