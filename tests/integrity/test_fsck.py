"""`evidence fsck [--repair] [--deep]`: what it finds, what it repairs, what it never touches."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Catalogue
from mediagen import make_image, make_video
from sqlalchemy import select

from evidence.catalogue.engine import Database
from evidence.catalogue.frames import record_frames
from evidence.catalogue.models import Frame
from evidence.store import lock


def _fsck(catalogue: Catalogue, *args: str, code: int) -> dict[str, Any]:
    result = catalogue.run("fsck", *args, "--json")
    assert result.exit_code == code, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def _kinds(doc: dict[str, Any]) -> list[str]:
    return sorted(p["kind"] for p in doc["problems"])


def _object(catalogue: Catalogue, sha: str, area: str = "objects") -> Path:
    return catalogue.root / "store" / area / sha[:2] / sha[2:4] / sha


def _repairs(catalogue: Catalogue) -> list[dict[str, Any]]:
    exported = catalogue.run("export")
    assert exported.exit_code == 0, exported.output
    return [e for e in json.loads(exported.stdout)["events"] if e["action"] == "fsck-repair"]


def _add(catalogue: Catalogue, path: Path, *flags: str) -> dict[str, Any]:
    result: dict[str, Any] = catalogue.json("add", path, *flags)["results"][0]
    return result


def test_a_clean_catalogue_is_clean(catalogue: Catalogue, files: Path) -> None:
    catalogue.ok("add", files)
    doc = _fsck(catalogue, code=0)
    assert doc["ok"] is True and doc["problems"] == [] and doc["repaired"] == 0
    assert doc["objects_checked"] == 3 and doc["events_checked"] > 3 and doc["chain_head"]
    assert _fsck(catalogue, "--repair", "--deep", code=0)["bytes_checked"] > 0
    assert _repairs(catalogue) == []  # nothing to repair, nothing logged
    text = catalogue.run("fsck")
    assert text.exit_code == 0 and text.stdout.startswith("OK:"), text.output


def test_temp_files_are_reported_then_removed_and_logged(catalogue: Catalogue) -> None:
    leftover = catalogue.root / "store" / "tmp" / "in-crashed"
    leftover.write_bytes(b"half a copy")
    doc = _fsck(catalogue, code=5)
    [problem] = doc["problems"]
    assert problem["kind"] == "temp-file" and not problem["repaired"] and doc["ok"] is False
    assert "original is still where it was added from" in problem["message"]
    assert problem["suggestion"] == "evidence fsck --repair"
    assert leftover.exists()  # reporting changes nothing

    doc = _fsck(catalogue, "--repair", code=0)
    assert doc["ok"] is True and doc["repaired"] == 1 and doc["problems"][0]["repaired"] is True
    assert not leftover.exists()
    [event] = _repairs(catalogue)
    assert event["subject"] == "tmp/in-crashed"
    assert event["details"]["problem"] == "temp-file" and event["details"]["repair"] == "removed"
    assert event["details"]["sha256"] == hashlib.sha256(b"half a copy").hexdigest()
    assert catalogue.json("verify")["ok"] is True


def test_an_uncatalogued_object_is_quarantined_never_deleted(catalogue: Catalogue) -> None:
    data = b"published, then the power went"
    sha = hashlib.sha256(data).hexdigest()
    path = _object(catalogue, sha)
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    path.chmod(0o444)
    assert _kinds(_fsck(catalogue, code=5)) == ["unrecorded-object"]

    doc = _fsck(catalogue, "--repair", code=0)
    assert doc["repaired"] == 1 and doc["quarantined"] == 1
    assert not path.exists()
    kept = catalogue.root / "store" / "orphans" / sha
    assert kept.read_bytes() == data
    assert _repairs(catalogue)[0]["details"]["to"] == f"orphans/{sha}"
    # adding the original again catalogues it
    source = catalogue.home / "again.bin"
    source.write_bytes(data)
    assert _add(catalogue, source, "--no-analysis")["status"] == "added"
    assert _fsck(catalogue, code=3)["problems"][0]["kind"] == "analysis-pending"
    assert catalogue.json("verify")["ok"] is True


def test_a_corrupt_uncatalogued_object_is_left_for_a_person(catalogue: Catalogue) -> None:
    sha = hashlib.sha256(b"what it was").hexdigest()
    path = _object(catalogue, sha)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"what it became")
    stray = catalogue.root / "store" / "objects" / "notes.txt"
    stray.write_text("someone's notes")
    doc = _fsck(catalogue, "--repair", code=5)
    assert _kinds(doc) == ["corrupt-object", "stray-file"]
    assert all(p["action"] == "human" and not p["repaired"] for p in doc["problems"])
    assert path.read_bytes() == b"what it became" and stray.exists()  # left where they are
    assert _repairs(catalogue) == []


def test_writable_objects_are_made_read_only(catalogue: Catalogue, files: Path) -> None:
    added = _add(catalogue, files / "note-0.txt")
    path = _object(catalogue, added["sha256"])
    path.chmod(0o644)
    doc = _fsck(catalogue, code=5)
    assert _kinds(doc) == ["writable"] and "644" in doc["problems"][0]["message"]
    _fsck(catalogue, "--repair", code=0)
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert _repairs(catalogue)[0]["subject"] == f"item:{added['sha256']}"


def test_a_missing_object_is_reported_and_its_record_kept(catalogue: Catalogue, files: Path) -> None:
    added = _add(catalogue, files / "note-1.txt")
    path = _object(catalogue, added["sha256"])
    data = path.read_bytes()
    path.unlink()
    for args in ((), ("--repair",)):
        doc = _fsck(catalogue, *args, code=5)
        assert _kinds(doc) == ["missing-object"] and doc["problems"][0]["action"] == "human"
    assert [i["sha256"] for i in catalogue.json("list")["items"]] == [added["sha256"]]  # never deleted

    # a copy with the right bytes in orphans/ (say, quarantined by mistake) is put back
    orphans = catalogue.root / "store" / "orphans"
    orphans.mkdir()
    (orphans / added["sha256"]).write_bytes(data)
    doc = _fsck(catalogue, "--repair", code=0)
    assert doc["problems"][0]["repaired"] is True
    assert path.read_bytes() == data and stat.S_IMODE(path.stat().st_mode) == 0o444
    assert catalogue.json("verify")["ok"] is True


def test_replaced_or_altered_objects_need_a_person(catalogue: Catalogue, files: Path) -> None:
    one, two, three = (_add(catalogue, files / f"note-{i}.txt") for i in range(3))
    replaced = _object(catalogue, one["sha256"])
    replaced.unlink()
    replaced.symlink_to(files / "note-0.txt")
    shorter = _object(catalogue, two["sha256"])
    shorter.chmod(0o644)
    shorter.write_bytes(b"cut")
    shorter.chmod(0o444)
    same_size = _object(catalogue, three["sha256"])
    data = same_size.read_bytes()
    same_size.chmod(0o644)
    same_size.write_bytes(data[:-1] + b"!")
    same_size.chmod(0o444)
    assert _kinds(_fsck(catalogue, "--repair", code=5)) == ["changed", "not-regular"]
    doc = _fsck(catalogue, "--deep", code=5)  # only re-hashing finds the same-size change
    assert _kinds(doc) == ["changed", "changed", "not-regular"]
    assert replaced.is_symlink()


def test_pending_analysis_is_reported_not_run(catalogue: Catalogue, files: Path) -> None:
    added = _add(catalogue, files / "note-2.txt", "--no-analysis")
    for args in ((), ("--repair",)):
        doc = _fsck(catalogue, *args, code=3)
        [problem] = doc["problems"]
        assert problem["kind"] == "analysis-pending" and problem["action"] == "analyze"
        assert problem["suggestion"] == "evidence analyze --pending" and doc["ok"] is True
    assert catalogue.json("show", added["sha256"])["analysis"] == "pending"
    catalogue.json("analyze", "--pending")
    assert _fsck(catalogue, code=0)["problems"] == []


def test_frames_and_thumbnails_that_went_missing(catalogue: Catalogue, tmp_path: Path) -> None:
    image = _add(catalogue, make_image(tmp_path / "photo.png", size=(96, 64)))
    clip = _add(catalogue, make_video(tmp_path / "clip.mp4", seconds=2, size=(160, 120), seed=3))
    assert image["analysis"] == "ok" and clip["analysis"] == "ok"
    db = Database(catalogue.url)
    with db.write() as session:
        record_frames(session, image["id"], [], {})
    with db.read() as session:
        thumb = session.scalars(select(Frame.thumbnail).where(Frame.thumbnail.is_not(None))).first()
    assert thumb is not None
    db.dispose()
    _object(catalogue, thumb, "derived").unlink()
    doc = _fsck(catalogue, "--repair", code=3)
    assert _kinds(doc) == ["frames-missing", "thumbnail-missing"] and doc["ok"] is True
    suggestions = {p["kind"]: p["suggestion"] for p in doc["problems"]}
    assert suggestions == {
        "frames-missing": f"evidence analyze {image['id']}",
        "thumbnail-missing": f"evidence analyze {clip['id']}",
    }
    catalogue.json("analyze", str(image["id"]), str(clip["id"]))
    assert _fsck(catalogue, code=0)["problems"] == []


def test_a_tampered_custody_chain_is_reported(sqlite_catalogue: Catalogue, files: Path) -> None:
    sqlite_catalogue.ok("add", files)
    conn = sqlite3.connect(sqlite_catalogue.root / "catalogue.sqlite")
    conn.execute("DROP TRIGGER event_append_only_update")
    conn.execute("UPDATE event SET actor = 'mallory' WHERE seq = 2")
    conn.commit()
    conn.close()
    doc = _fsck(sqlite_catalogue, "--repair", code=5)
    assert _kinds(doc) == ["chain-edited"] and doc["problems"][0]["subject"] == "event:2"


def test_fsck_waits_for_no_one_and_adds_wait_for_fsck(catalogue: Catalogue, files: Path) -> None:
    """An add in progress (in another process) holds the store's lock shared: fsck refuses (exit 4)
    rather than take its temp file or its just-published object for a leftover."""
    lock = catalogue.root / "store" / "lock"
    fd = os.open(lock, os.O_RDONLY | os.O_CREAT, 0o644)  # another open description: another writer
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        result = catalogue.run("fsck", "--repair")
        assert result.exit_code == 4, result.output
        assert "another evidence command is adding or analysing files" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    finally:
        os.close(fd)
    assert catalogue.run("fsck").exit_code == 0


@pytest.mark.skipif(not Path("/proc/locks").is_file(), reason="needs /proc/locks to see a waiting lock")
def test_an_add_waits_while_fsck_holds_the_store(sqlite_catalogue: Catalogue, files: Path) -> None:
    from evidence.workspace import open_workspace

    with open_workspace(sqlite_catalogue.root) as ws, ws.store.exclusive():
        env = {**os.environ, "EVIDENCE_ACTOR": "tester"}
        env.pop("EVIDENCE_DATABASE_URL", None)
        cmd = [sys.executable, "-m", "evidence", "--catalogue", str(sqlite_catalogue.root), "add"]
        proc = subprocess.Popen([*cmd, str(files), "--no-analysis"], env=env, stderr=subprocess.PIPE)
        inode = os.stat(ws.store.lock_path).st_ino
        while proc.poll() is None and not _waiting_on(inode):  # the kernel says it is blocked on us
            pass
        assert proc.poll() is None
        assert list((ws.store.root / "tmp").iterdir()) == []
    assert proc.wait(timeout=120) == 0
    assert len(sqlite_catalogue.json("list")["items"]) == 3


def _waiting_on(inode: int) -> bool:
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        waiting = "->" in fields and fields[fields.index("->") + 1] == "FLOCK"
        if waiting and fields[-3].endswith(f":{inode}"):
            return True
    return False


def test_a_store_nobody_can_write_to_is_checked_without_the_lock(
    catalogue: Catalogue, files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalogue.ok("add", files)
    (catalogue.root / "store" / "lock").unlink()

    def read_only(path: Path) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(lock, "join", read_only)
    assert _fsck(catalogue, code=0)["objects_checked"] == 3
