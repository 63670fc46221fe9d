"""`evidence export --bagit`: BagIt 1.0 bags checked by our own reading of RFC 8493 and by the `bagit`
library; safe payload names; refused folders; no half bag on failure; the export event."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime
from pathlib import Path

import bagit
import pytest
from conftest import Catalogue
from exports import HOSTILE_FILE, HOSTILE_RECORD, Seeded, add, chain, logged_events, two_items
from mediagen import make_image
from sqlalchemy import select, text, update

from evidence import faults
from evidence.catalogue import custody
from evidence.catalogue.engine import Database
from evidence.catalogue.models import Acquisition
from evidence.core.custody import walk_chain
from evidence.errors import EnvironmentFailure


@pytest.fixture
def seeded(catalogue: Catalogue) -> Seeded:
    return two_items(catalogue)


def _manifest(path: Path) -> dict[str, str]:
    entries: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        digest, name = line.split(maxsplit=1)
        name = name.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")
        assert name not in entries
        entries[name] = digest
    return entries


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check_bag(root: Path) -> dict[str, str]:
    """RFC 8493 by hand: bagit.txt, both manifests complete and correct both ways, Payload-Oxum."""
    assert (root / "bagit.txt").read_bytes() == b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    info = dict(
        line.split(": ", 1) for line in (root / "bag-info.txt").read_text(encoding="utf-8").splitlines()
    )
    payload = _manifest(root / "manifest-sha256.txt")
    on_disk = {p.relative_to(root).as_posix() for p in (root / "data").rglob("*") if p.is_file()}
    assert set(payload) == on_disk
    for name, digest in payload.items():
        assert _sha256(root / name) == digest, name
    sizes = [(root / name).stat().st_size for name in payload]
    assert info["Payload-Oxum"] == f"{sum(sizes)}.{len(sizes)}"
    tags = _manifest(root / "tagmanifest-sha256.txt")
    tag_files = {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and not p.relative_to(root).as_posix().startswith(("data/", "tagmanifest-"))
    }
    assert set(tags) == tag_files
    assert {
        "bagit.txt",
        "bag-info.txt",
        "manifest-sha256.txt",
        "evidence/records.json",
        "evidence/custody.jsonl",
    } <= set(tags)
    for name, digest in tags.items():
        assert _sha256(root / name) == digest, name
    assert info["Bag-Software-Agent"].startswith("evidence ")
    assert datetime.strptime(info["Bagging-Date"], "%Y-%m-%d")
    return info


def test_bag_of_every_item_is_valid_and_logged(seeded: Seeded, tmp_path: Path) -> None:
    cat, a, _, _ = seeded
    hostile = cat.home / HOSTILE_FILE
    hostile.write_bytes(b"not really a jpeg")
    c = add(cat, hostile)
    renamed = cat.home / "renamed.txt"
    renamed.write_bytes(b"another one")
    d = add(cat, renamed)
    db = Database(cat.url)
    try:
        # a name recorded by another tool (one that logs what it writes): the bag must not trust it either
        with db.write() as s:
            if s.get_bind().dialect.name == "postgresql":
                s.execute(text("SET LOCAL session_replication_role = replica"))
            else:
                trigger = s.execute(
                    text("SELECT sql FROM sqlite_master WHERE name = 'acquisition_append_only_update'")
                ).scalar_one()
                s.execute(text("DROP TRIGGER acquisition_append_only_update"))
            s.execute(
                update(Acquisition).where(Acquisition.item_id == d["id"]).values(original_name=HOSTILE_RECORD)
            )
            if s.get_bind().dialect.name == "sqlite":
                s.execute(text(trigger))
            acquisition = s.scalars(select(Acquisition.id).where(Acquisition.item_id == d["id"])).one()
            custody.append(
                s,
                actor="other-tool",
                action="acquire",
                subject=f"item:{d['sha256']}",
                details={"acquisition": acquisition, "renamed": True},
                records=[("acquisition", acquisition)],
            )
    finally:
        db.dispose()
    out = tmp_path / "out"
    out.mkdir()
    target = out / "bag"
    target.mkdir()  # an existing empty folder is fine
    result = cat.ok("export", "--bagit", target, "--source-organization", "Example Newsroom")
    assert "wrote bag" in result.stdout
    info = _check_bag(target)
    assert info["Source-Organization"] == "Example Newsroom"
    bagit.Bag(str(target)).validate()

    payload = _manifest(target / "manifest-sha256.txt")
    by_item = {name.split("/")[1].split("-")[0]: name for name in payload}
    assert by_item[str(a["id"])] == f"data/{a['id']}-{a['sha256'][:12]}/claimed.mp4"
    for entry in (c, d):
        name = by_item[str(entry["id"])]
        parts = name.split("/")
        assert len(parts) == 3 and parts[1] == f"{entry['id']}-{entry['sha256'][:12]}"
        assert not any(ch in parts[2] for ch in "\r\n<>/\\") and not parts[2].startswith(".")
        assert payload[name] == entry["sha256"]
    assert by_item[str(c["id"])].endswith("/x_img src=x onerror=alert(1)_.txt")
    assert by_item[str(d["id"])].endswith("/script_.txt")  # the last component, defused
    assert (target / by_item[str(c["id"])]).read_bytes() == b"not really a jpeg"

    events = [json.loads(line) for line in (target / "evidence" / "custody.jsonl").read_text().splitlines()]
    assert list(walk_chain(chain(events))) == [] and events[0]["seq"] == 1
    assert info["Evidence-Chain-Head"] == events[-1]["hash"]
    records = json.loads((target / "evidence" / "records.json").read_text())
    assert records["format"] == "evidence-export" and len(records["items"]) == 4
    assert records["catalogue"]["chain_head"] == events[-1]["hash"]
    assert "not in it" in info["External-Description"]

    logged = logged_events(cat)[-1]
    assert logged.action == "export" and logged.prev_hash == events[-1]["hash"]
    assert logged.details["format"] == "bagit" and logged.details["path"] == str(target.resolve())
    assert logged.details["payload_oxum"] == info["Payload-Oxum"]
    assert logged.details["manifest_sha256"] == _sha256(target / "manifest-sha256.txt")
    assert cat.json("verify")["ok"] is True
    assert [p.name for p in out.iterdir()] == ["bag"]  # no temporary folder left behind
    assert json.loads(cat.ok("export").stdout)["items"] == records["items"]  # the JSON export's records


def test_bag_of_one_item(seeded: Seeded, tmp_path: Path) -> None:
    cat, a, b, _ = seeded
    target = tmp_path / "new"
    cat.ok("export", "--bagit", target, str(b["id"]))
    _check_bag(target)
    bagit.Bag(str(target)).validate()
    assert list(_manifest(target / "manifest-sha256.txt").values()) == [b["sha256"]]
    events = [json.loads(line) for line in (target / "evidence" / "custody.jsonl").read_text().splitlines()]
    assert events and all(a["sha256"] not in json.dumps(e) for e in events)
    assert "excerpt" in (target / "evidence" / "README.txt").read_text()
    logged = logged_events(cat)[-1]
    assert logged.details["items"] == [{"id": b["id"], "sha256": b["sha256"]}]


def test_bag_refuses_a_folder_that_is_not_empty(catalogue: Catalogue, tmp_path: Path) -> None:
    add(catalogue, make_image(catalogue.home / "a.png", size=(64, 48)))
    out = tmp_path / "out"
    out.mkdir()
    target = out / "full"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    before = len(logged_events(catalogue))
    result = catalogue.run("export", "--bagit", target)
    assert result.exit_code == 2 and "not empty" in result.stderr
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
    assert sorted(p.name for p in out.iterdir()) == ["full"]
    file_target = out / "file"
    file_target.write_text("x")
    assert catalogue.run("export", "--bagit", file_target).exit_code == 2
    assert len(logged_events(catalogue)) == before


def test_failed_bag_leaves_nothing(
    catalogue: Catalogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = add(catalogue, make_image(catalogue.home / "a.png", size=(64, 48)))
    out = tmp_path / "out"
    out.mkdir()
    target = out / "bag"

    def explode(name: str) -> None:
        if name == "bag-publish":
            raise EnvironmentFailure("the disk is full (simulated)")

    monkeypatch.setattr(faults, "checkpoint", explode)
    result = catalogue.run("export", "--bagit", target)
    assert result.exit_code == 4, result.output
    assert list(out.iterdir()) == []
    monkeypatch.undo()

    stored = (
        catalogue.root / "store" / "objects" / entry["sha256"][:2] / entry["sha256"][2:4] / entry["sha256"]
    )
    os.chmod(stored, 0o644)
    stored.write_bytes(stored.read_bytes()[:-1] + b"\x00")
    result = catalogue.run("export", "--bagit", target)
    assert result.exit_code == 5 and "no bag was written" in result.stderr
    assert list(out.iterdir()) == []
    assert [e.action for e in logged_events(catalogue)].count("export") == 0
