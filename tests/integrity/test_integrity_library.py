"""The integrity use cases called as a library (no CLI): `verify` passes on an untouched catalogue and
names what changed after a hand touched the store or the database; `take_anchor` pins the chain's head;
`fsck` finds what a crash leaves in the store and repairs what is safe to repair. Each run is logged."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Catalogue
from library import ACTOR, actions, add_one_file, events, head_seq, opened, read_only
from mediagen import make_image
from tampering import tamper

from evidence.errors import ExitCode, UsageError
from evidence.ingest.add import FileResult
from evidence.integrity.anchor import Anchor, parse_anchor, read_anchor, take_anchor
from evidence.integrity.fsck import ANALYZE, HUMAN, REPAIR, fsck
from evidence.integrity.verify import verify
from evidence.workspace import Workspace


@pytest.fixture
def ws(catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    with opened(catalogue, monkeypatch) as workspace:
        yield workspace


def _notes(cat: Catalogue, ws: Workspace, *texts: str) -> list[FileResult]:
    added = []
    for n, text in enumerate(texts):
        path = cat.home / f"note-{n}.txt"
        path.write_text(text)
        added.append(add_one_file(ws, path))
    return added


def _overwrite(path: Path, data: bytes) -> None:
    os.chmod(path, 0o644)
    path.write_bytes(data)
    os.chmod(path, 0o444)


def test_verify_passes_then_names_the_object_that_changed(catalogue: Catalogue, ws: Workspace) -> None:
    first, second = _notes(catalogue, ws, "tip one\n", "tip two\n")
    picture = add_one_file(ws, make_image(catalogue.home / "still.png", (96, 64)))
    assert first.sha256 and second.sha256 and picture.sha256
    head = head_seq(ws)
    report = verify(ws, actor=ACTOR, deep=True)
    assert report.ok, report.problems
    assert (report.objects_checked, report.events_checked, report.rederived) == (3, head, 3)
    [logged] = events(ws, after=head)
    assert (logged.action, logged.subject, logged.actor) == ("verify", "catalogue", ACTOR)
    assert (logged.details["ok"], logged.details["problems"]) == (True, [])
    assert report.chain_head == events(ws)[head - 1].hash  # the head it walked to, before its own event

    _overwrite(ws.store.path_for(first.sha256), b"tip 0ne\n")  # same size, other bytes
    ws.store.path_for(second.sha256).unlink()
    head = head_seq(ws)
    report = verify(ws, actor=ACTOR)
    assert not report.ok
    assert sorted((p.kind, p.subject) for p in report.problems) == sorted(
        [("changed", first.sha256), ("missing", second.sha256)]
    )
    [logged] = events(ws, after=head)
    assert logged.details["ok"] is False
    assert sorted(logged.details["problems"]) == sorted(
        [f"changed {first.sha256}", f"missing {second.sha256}"]
    )


def test_verify_names_a_record_changed_around_evidence(catalogue: Catalogue, ws: Workspace) -> None:
    [note] = _notes(catalogue, ws, "tip one\n")
    assert verify(ws, actor=ACTOR).ok
    tamper(
        catalogue,
        [("UPDATE acquisition SET note = :note WHERE id = :id", {"note": "x", "id": note.acquisition_id})],
    )
    report = verify(ws, actor=ACTOR)
    assert [(p.kind, p.subject) for p in report.problems] == [
        ("record-edited", f"acquisition:{note.acquisition_id}")
    ]


def test_an_anchor_pins_the_head_of_the_chain(catalogue: Catalogue, ws: Workspace) -> None:
    _notes(catalogue, ws, "tip one\n")
    head = events(ws)[-1]
    saved = catalogue.home / "anchor.txt"
    taken = take_anchor(ws, actor=ACTOR, output=saved)
    assert (taken.anchor.seq, taken.anchor.hash, taken.events) == (head.seq, head.hash, head.seq)
    assert read_anchor(saved) == taken.anchor
    assert actions(ws, after=head.seq) == [("anchor", "catalogue")]
    report = verify(ws, actor=ACTOR, anchor=taken.anchor)
    assert report.ok and report.anchor_ok is True

    beyond = Anchor(head_seq(ws) + 5, head.hash, taken.anchor.at)  # another catalogue's, or a cut log
    report = verify(ws, actor=ACTOR, anchor=beyond)
    assert report.anchor_ok is False and [p.kind for p in report.problems] == ["anchor"]
    with pytest.raises(UsageError, match="no anchor found"):
        parse_anchor("seq=3 hash=abc")
    before = head_seq(ws)
    with pytest.raises(UsageError, match="inside the catalogue"):
        take_anchor(ws, actor=ACTOR, output=catalogue.root / "anchor.txt")
    assert head_seq(ws) == before


def test_fsck_finds_leftovers_and_repairs_what_is_safe(catalogue: Catalogue, ws: Workspace) -> None:
    kept, moved = _notes(catalogue, ws, "tip one\n", "tip two\n")
    assert kept.sha256 and moved.sha256
    assert fsck(ws, actor=ACTOR).problems == []
    # what a crash or a hand leaves: an unfinished copy, an object never catalogued, a writable
    # original, and an original that ended up in orphans/
    ws.store.tmp.mkdir(exist_ok=True)
    (ws.store.tmp / "copy-interrupted").write_bytes(b"half a file")
    stray = b"published, never catalogued\n"
    stray_sha = hashlib.sha256(stray).hexdigest()
    stray_path = ws.store.path_for(stray_sha)
    stray_path.parent.mkdir(parents=True, exist_ok=True)
    stray_path.write_bytes(stray)
    os.chmod(ws.store.path_for(kept.sha256), 0o644)
    ws.store.orphans.mkdir(exist_ok=True)
    os.rename(ws.store.path_for(moved.sha256), ws.store.orphans / moved.sha256)

    before = head_seq(ws)
    report = fsck(ws, actor=ACTOR)
    found = {(p.kind, p.subject): p for p in report.problems}
    assert set(found) == {
        ("temp-file", "tmp/copy-interrupted"),
        ("unrecorded-object", f"object:{stray_sha}"),
        ("writable", f"item:{kept.sha256}"),
        ("missing-object", f"item:{moved.sha256}"),
    }
    assert all(p.action == REPAIR and not p.repaired for p in report.problems)
    assert {p.suggestion for p in report.problems} == {"evidence fsck --repair"}
    assert not report.ok and report.exit_code == ExitCode.INTEGRITY
    assert head_seq(ws) == before  # a check alone logs nothing

    report = fsck(ws, actor=ACTOR, repair=True)
    assert report.repaired == 4 and report.ok and report.exit_code == ExitCode.OK
    assert report.quarantined == 1
    repairs = [e for e in events(ws, after=before) if e.action == "fsck-repair"]
    assert sorted(e.details["repair"] for e in repairs) == ["chmod 444", "quarantined", "removed", "restored"]
    assert ws.store.leftovers() == []
    assert (ws.store.orphans / stray_sha).read_bytes() == stray and not stray_path.exists()
    assert read_only(ws.store.path_for(kept.sha256))
    assert ws.store.path_for(moved.sha256).read_text() == "tip two\n"
    assert fsck(ws, actor=ACTOR).problems == []
    assert verify(ws, actor=ACTOR).ok


def test_fsck_leaves_what_it_cannot_repair_to_a_person(catalogue: Catalogue, ws: Workspace) -> None:
    gone, pending = _notes(catalogue, ws, "tip one\n", "tip two\n")
    assert gone.sha256 and pending.sha256
    ws.store.path_for(gone.sha256).unlink()
    report = fsck(ws, actor=ACTOR, repair=True)
    [finding] = report.problems
    assert (finding.kind, finding.subject, finding.action, finding.repaired) == (
        "missing-object",
        f"item:{gone.sha256}",
        HUMAN,
        False,
    )
    assert report.exit_code == ExitCode.INTEGRITY
    assert "fsck-repair" not in [a for a, _ in actions(ws)]

    later = catalogue.home / "later.txt"
    later.write_text("analysed later\n")
    waiting = add_one_file(ws, later, analyse=False)
    kinds = {p.kind: p for p in fsck(ws, actor=ACTOR).problems}
    assert kinds["analysis-pending"].action == ANALYZE
    assert kinds["analysis-pending"].subject == f"item:{waiting.sha256}"
