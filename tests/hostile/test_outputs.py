"""Files written for people (`-o`, `--bagit`) never land inside a catalogue, however the path is spelt.

The catalogue is found from the working directory through a symbolic link (`.evidence -> ../ext/.evidence`),
the way the adversarial run overwrote a preserved original with a report; every command that writes a
file is tried against the originals, the database, a thumbnail, `..` spellings, a link to an object and a
hard link to one. Each is refused with exit 2 before anything is written, and the catalogue still
verifies.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from mediagen import make_video
from typer.testing import CliRunner

from evidence.cli.main import app

ENV: dict[str, str | None] = {
    "EVIDENCE_CATALOGUE": None,
    "EVIDENCE_DATABASE_URL": None,
    "EVIDENCE_DEBUG": None,
    "EVIDENCE_ACTOR": "tester",
}

COMMANDS: dict[str, list[str]] = {
    "report": ["report", "1", "-o"],
    "sheet": ["sheet", "1", "-o"],
    "export-json": ["export", "-o"],
    "export-csv": ["export", "--format", "csv", "--table", "events", "-o"],
    "terms-export": ["terms", "export", "--format", "json", "-o"],
    "anchor": ["anchor", "-o"],
}


@dataclass
class Linked:
    """A catalogue in ext/.evidence, used from work/ through the link work/.evidence."""

    work: Path
    real_root: Path
    sha: str
    runner: CliRunner

    def run(self, *args: str | Path) -> object:
        return self.runner.invoke(app, [str(a) for a in args], env=ENV)

    @property
    def stored(self) -> Path:
        return self.real_root / "store" / "objects" / self.sha[:2] / self.sha[2:4] / self.sha

    def thumbnail(self) -> Path:
        derived = self.real_root / "store" / "derived"
        return next(p for p in derived.rglob("*") if p.is_file())

    def events(self) -> int:
        conn = sqlite3.connect(self.real_root / "catalogue.sqlite")
        try:
            return int(conn.execute("SELECT count(*) FROM event").fetchone()[0])
        finally:
            conn.close()


@pytest.fixture
def linked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Linked]:
    runner = CliRunner()
    ext, work = tmp_path / "ext", tmp_path / "work"
    ext.mkdir()
    work.mkdir()
    (work / "sub").mkdir()
    assert runner.invoke(app, ["init", str(ext)], env=ENV).exit_code == 0
    (work / ".evidence").symlink_to(ext / ".evidence")
    clip = make_video(tmp_path / "clip.mp4", seconds=2.0, fps=24, size=(160, 96), scenes=2)
    monkeypatch.chdir(work)
    added = runner.invoke(app, ["add", str(clip), "--json"], env=ENV)
    assert added.exit_code == 0, added.output
    sha = hashlib.sha256(clip.read_bytes()).hexdigest()
    yield Linked(work, (ext / ".evidence").resolve(), sha, runner)


def _targets(cat: Linked) -> dict[str, Path]:
    sha = cat.sha
    os.link(cat.stored, cat.work / "hardlink.bin")
    (cat.work / "symlink.html").symlink_to(cat.stored)
    return {
        "object-via-link": Path(".evidence/store/objects") / sha[:2] / sha[2:4] / sha,
        "database-via-link": Path(".evidence/catalogue.sqlite"),
        "dotdot-database": Path("sub/../.evidence/catalogue.sqlite"),
        "dotdot-object": Path("sub/..//.evidence/./store/objects") / sha[:2] / sha[2:4] / sha,
        "thumbnail": cat.thumbnail(),
        "new-file-in-store": Path(".evidence/store/objects/new.html"),
        "symlink-to-object": Path("symlink.html"),
        "hardlink-to-object": Path("hardlink.bin"),
        "absolute-object": cat.stored,
    }


@pytest.mark.parametrize("command", list(COMMANDS))
def test_no_output_lands_in_the_catalogue(linked: Linked, command: str) -> None:
    original = linked.stored.read_bytes()
    database = (linked.real_root / "catalogue.sqlite").read_bytes()
    events = linked.events()
    for name, target in _targets(linked).items():
        thumb = linked.thumbnail().read_bytes()
        result = linked.run(*COMMANDS[command], target)
        assert result.exit_code == 2, (name, result.output)  # type: ignore[attr-defined]
        lines = result.stderr.strip().splitlines()  # type: ignore[attr-defined]
        assert len(lines) == 1 and lines[0].startswith("evidence: ") and "refusing" in lines[0], (name, lines)
        assert linked.stored.read_bytes() == original, name
        assert oct(linked.stored.stat().st_mode & 0o777) == oct(0o444), name
        assert linked.thumbnail().read_bytes() == thumb, name
        assert not (linked.real_root / "store/objects/new.html").exists()
        for leftover in (linked.work, linked.real_root / "store" / "objects"):
            assert not list(leftover.rglob(".evidence-*.tmp")), name
    assert (linked.real_root / "catalogue.sqlite").read_bytes() == database
    assert linked.events() == events  # no export was logged
    assert linked.run("verify").exit_code == 0  # type: ignore[attr-defined]
    written = linked.run(*COMMANDS[command], linked.work / "sub" / "out.file")
    assert written.exit_code == 0, written.output  # type: ignore[attr-defined]
    assert (linked.work / "sub" / "out.file").stat().st_size > 0


def test_a_bag_is_never_made_inside_the_catalogue(linked: Linked) -> None:
    for target in (Path(".evidence/store/bag"), Path("sub/../.evidence/bag"), linked.real_root / "tmpbag"):
        result = linked.run("export", "--bagit", target)
        assert result.exit_code == 2, (target, result.output)  # type: ignore[attr-defined]
        assert "refusing" in result.stderr  # type: ignore[attr-defined]
    assert not list(linked.real_root.rglob("bagit.txt"))
    assert linked.run("verify").exit_code == 0  # type: ignore[attr-defined]


def test_init_refuses_inside_a_catalogue(linked: Linked) -> None:
    before = sorted(p.relative_to(linked.real_root) for p in linked.real_root.rglob("*"))
    for folder in (Path(".evidence/store/objects"), linked.real_root / "store", Path(".evidence")):
        result = linked.run("init", folder)
        assert result.exit_code == 2, (folder, result.output)  # type: ignore[attr-defined]
        assert "inside another catalogue" in result.stderr  # type: ignore[attr-defined]
    after = sorted(p.relative_to(linked.real_root) for p in linked.real_root.rglob("*"))
    assert after == before
    again = linked.run("init")  # the catalogue itself: safe to repeat
    assert again.exit_code == 0, again.output  # type: ignore[attr-defined]


def test_an_sqlite_database_kept_elsewhere_is_protected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    database = tmp_path / "records" / "case.sqlite"
    database.parent.mkdir()
    env = {**ENV, "EVIDENCE_DATABASE_URL": f"sqlite:///{database}"}
    assert runner.invoke(app, ["init", str(tmp_path / "case")], env=env).exit_code == 0
    monkeypatch.chdir(tmp_path / "case")
    before = database.read_bytes()
    for target in (database, tmp_path / "records" / ".." / "records" / "case.sqlite"):
        result = runner.invoke(app, ["export", "-o", str(target)], env=env)
        assert result.exit_code == 2, result.output
    assert database.read_bytes() == before
    assert runner.invoke(app, ["verify"], env=env).exit_code == 0


@pytest.mark.parametrize("folder", ["case?id=7", "notes#2", "100% sure", "p%41 x", "a?b#c%2F d"])
def test_a_catalogue_in_an_oddly_named_folder_keeps_its_database_inside_it(
    tmp_path: Path, folder: str
) -> None:
    """A `?`, `#` or `%` in the folder's path once cut the SQLite URL short: the database went elsewhere."""
    home = tmp_path / folder
    home.mkdir()
    photo = home / "photo?.jpg"
    photo.write_bytes((Path(__file__).parents[2] / "examples" / "field-photo.jpg").read_bytes())
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, ["--catalogue", str(home / ".evidence"), *args], env=ENV)
        assert result.exit_code == 0, result.output
        return str(result.stdout)

    assert runner.invoke(app, ["init", str(home)], env=ENV).exit_code == 0
    run("add", str(photo))
    assert "OK:" in run("verify")
    assert sorted(p.name for p in tmp_path.iterdir()) == [folder]
    database = home / ".evidence" / "catalogue.sqlite"
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM item").fetchone() == (1,)
    assert "current" in run("db", "upgrade")
