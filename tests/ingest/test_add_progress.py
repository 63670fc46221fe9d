"""What `add` tells its progress display: bytes while copying, then what it is doing to each file
(analysing, matching), so a long video shows it is being worked on rather than hung."""

from __future__ import annotations

from conftest import Catalogue
from mediagen import make_image, make_video

from evidence.ingest.add import AddOptions, FileResult, add_paths
from evidence.workspace import open_workspace


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def start(self, files: int, total_bytes: int) -> None:
        self.events.append(("start", files))

    def file_started(self, path: str, size: int) -> None:
        self.events.append(("file", path.rsplit("/", 1)[-1]))

    def advance(self, nbytes: int) -> None:
        if self.events[-1][0] != "bytes":
            self.events.append(("bytes", None))

    def stage(self, text: str) -> None:
        self.events.append(("stage", text.split(" ", 1)[0] + " " + text.rsplit("/", 1)[-1]))

    def file_done(self, result: FileResult) -> None:
        self.events.append(("done", result.status))


def test_each_file_reports_copy_then_analysis_then_matching(sqlite_catalogue: Catalogue) -> None:
    clip = make_video(sqlite_catalogue.home / "clip.mp4", seconds=1.0, size=(160, 120))
    still = make_image(sqlite_catalogue.home / "still.png", (96, 64))
    recorder = Recorder()
    with open_workspace(sqlite_catalogue.root) as ws:
        add_paths(ws, [clip, still], AddOptions(actor="tester"), recorder)
    assert recorder.events == [
        ("start", 2),
        ("file", "clip.mp4"),
        ("bytes", None),
        ("stage", "analysing clip.mp4"),
        ("stage", "matching clip.mp4"),
        ("done", "added"),
        ("file", "still.png"),
        ("bytes", None),
        ("stage", "analysing still.png"),
        ("stage", "matching still.png"),
        ("done", "added"),
    ]


def test_no_analysis_means_no_analysis_stage(sqlite_catalogue: Catalogue) -> None:
    still = make_image(sqlite_catalogue.home / "still.png", (96, 64))
    recorder = Recorder()
    with open_workspace(sqlite_catalogue.root) as ws:
        add_paths(ws, [still], AddOptions(actor="tester", analyse=False), recorder)
    assert [e for e in recorder.events if e[0] == "stage"] == []
