"""Which store a catalogue uses: its own folder, or the one `EVIDENCE_STORE_URL` named at `init`, kept
in `.evidence/STORE` so that a command run without the variable still finds the originals."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from conftest import Catalogue

from evidence.cli.main import app


def _init(home: Path, store: str | None) -> Catalogue:
    home.mkdir()
    cat = Catalogue(home, "sqlite", None)
    result = cat.runner.invoke(app, ["init", str(home)], env={**cat.env, "EVIDENCE_STORE_URL": store})
    assert result.exit_code == 0, result.output
    return cat


def test_a_folder_named_at_init_holds_the_originals_from_then_on(tmp_path: Path) -> None:
    shared = tmp_path / "shared volume" / "originals"
    cat = _init(tmp_path / "case", str(shared))
    tip = tmp_path / "tip.txt"
    tip.write_text("a tip that arrived by mail\n")
    sha = hashlib.sha256(tip.read_bytes()).hexdigest()
    added = cat.run("add", tip, "--json")  # no EVIDENCE_STORE_URL: the catalogue remembers its store
    assert added.exit_code == 0, added.output
    assert (shared / "objects" / sha[:2] / sha[2:4] / sha).read_bytes() == tip.read_bytes()
    assert not (cat.root / "store" / "objects").exists()
    shown = json.loads(cat.ok("show", "1", "--json").stdout)
    assert shown["stored_at"] == str(shared / "objects" / sha[:2] / sha[2:4] / sha)
    assert cat.run("verify").exit_code == 0
    (shared / "objects" / sha[:2] / sha[2:4] / sha).unlink()
    assert cat.run("verify").exit_code == 5


def test_a_variable_naming_another_store_is_refused(tmp_path: Path) -> None:
    cat = _init(tmp_path / "case", str(tmp_path / "originals"))
    refused = cat.run("list", env={"EVIDENCE_STORE_URL": str(tmp_path / "elsewhere")})
    assert refused.exit_code == 2, refused.output
    assert "EVIDENCE_STORE_URL" in refused.stderr and str(tmp_path / "originals") in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    same = cat.run("list", env={"EVIDENCE_STORE_URL": str(tmp_path / "originals")})
    assert same.exit_code == 0, same.output


def test_without_a_store_url_the_catalogue_keeps_its_own_folder(tmp_path: Path) -> None:
    cat = _init(tmp_path / "case", None)
    assert not (cat.root / "STORE").exists()
    tip = tmp_path / "tip.txt"
    tip.write_text("another tip\n")
    cat.ok("add", tip)
    sha = hashlib.sha256(tip.read_bytes()).hexdigest()
    assert (cat.root / "store" / "objects" / sha[:2] / sha[2:4] / sha).is_file()


def test_a_store_url_that_cannot_work_is_one_line(sqlite_catalogue: Catalogue) -> None:
    for url in ("ftp://archive.example/objects", "s3:///no-bucket", "relative/folder"):
        refused = sqlite_catalogue.run("list", env={"EVIDENCE_STORE_URL": url})
        assert refused.exit_code == 2, (url, refused.output)
        assert "EVIDENCE_STORE_URL" in refused.stderr and "Traceback" not in refused.output
        assert len(refused.stderr.strip().splitlines()) == 1
