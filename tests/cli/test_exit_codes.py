"""Issue 17: refusals the README gives a meaning to never come out as exit 1 ("internal error").

Each case runs a command in-process and checks the contract: the documented exit code, exactly one
line on stderr starting "evidence: " that says what is wrong (and the bound, the range or the way
out), no traceback, and nothing written (the custody log and the store are as they were; a damaged
database file keeps its bytes).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Catalogue
from mediagen import make_image
from typer.testing import CliRunner

from evidence.cli.main import app


def one_line(result: Any, code: int, *needles: str) -> str:
    """The command's single stderr line, after checking the exit code and that nothing else leaked."""
    assert result.exit_code == code, (result.exit_code, result.output)
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("evidence: "), result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return str(lines[0])


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


# ------------------------------------------------------------------------------ database URLs

URL_CASES = [
    ("mysql://x/y", 2, ["'mysql'", "sqlite:///PATH", "postgresql+psycopg://"]),
    ("oracle+oracledb://a/b", 2, ["'oracle+oracledb'", "sqlite:///PATH"]),
    ("postgresql+psycopg2://u:secret@x/y", 2, ["'postgresql+psycopg2'", "postgresql+psycopg://"]),
    ("http://example.org/x", 2, ["'http'", "sqlite:///PATH"]),
    ("::::", 2, ["not a URL", "sqlite:///PATH"]),
    ("sqlite://", 2, ["in-memory"]),
    ("sqlite:///:memory:", 2, ["in-memory"]),
    ("postgresql+psycopg://127.0.0.1:1/x", 4, ["catalogue database"]),
    ("postgresql://127.0.0.1:1/x", 4, ["catalogue database"]),
]
URL_COMMANDS = [["list"], ["verify"], ["db", "upgrade"], ["search", "--text", "x"], ["init"]]


@pytest.mark.parametrize("command", URL_COMMANDS, ids=" ".join)
@pytest.mark.parametrize(("url", "code", "needles"), URL_CASES, ids=[c[0] for c in URL_CASES])
def test_unusable_database_urls(
    sqlite_catalogue: Catalogue, tmp_path: Path, url: str, code: int, needles: list[str], command: list[str]
) -> None:
    cat = sqlite_catalogue
    env = {"EVIDENCE_DATABASE_URL": url}
    if command == ["init"]:
        fresh = tmp_path / "fresh"
        fresh.mkdir()
        result = cat.runner.invoke(app, ["init", str(fresh)], env={**cat.env, **env})
    else:
        result = cat.run(*command, env=env)
    line = one_line(result, code, *needles)
    assert "secret" not in line  # a password in the URL is never echoed
    if command == ["init"] and code == 2:
        assert list(fresh.iterdir()) == []  # refused before anything was made


# ------------------------------------------------------------------------------ a damaged SQLite file


def _garbage_header(data: bytes) -> bytes:
    return b"this is no db!!\x00" + data[16:]


DAMAGES: dict[str, Callable[[bytes], bytes]] = {
    "garbage header": _garbage_header,
    "garbage everywhere": lambda data: hashlib.shake_256(data).digest(len(data)),
    "truncated to half": lambda data: data[: len(data) // 2],
    "truncated mid-page": lambda data: data[:5000],
    "truncated to its header": lambda data: data[:100],
    "emptied": lambda data: b"",
}
DAMAGED_COMMANDS = [
    ["list"],
    ["verify"],
    ["fsck"],
    ["fsck", "--repair"],
    ["show", "1"],
    ["search", "--text", "x"],
    ["export"],
    ["anchor"],
    ["terms"],
    ["db", "upgrade"],
    ["init"],
    ["add", "SPARE"],
]


@pytest.mark.parametrize("command", DAMAGED_COMMANDS, ids=" ".join)
@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_sqlite_catalogue_is_an_integrity_failure_and_is_left_alone(
    sqlite_catalogue: Catalogue, damage: str, command: list[str]
) -> None:
    cat = sqlite_catalogue
    spare = make_image(cat.home / "spare.png", size=(64, 48), seed=3)
    cat.ok("add", make_image(cat.home / "first.png", size=(64, 48), seed=4), "--no-analysis")
    database = cat.root / "catalogue.sqlite"
    assert not database.with_name("catalogue.sqlite-wal").exists()  # everything is in the main file
    damaged = DAMAGES[damage](database.read_bytes())
    database.write_bytes(damaged)
    objects = _files(cat.root / "store" / "objects")
    args = [str(spare) if a == "SPARE" else a for a in command]
    result = (
        cat.runner.invoke(app, ["init", str(cat.home)], env=cat.env)
        if command == ["init"]
        else cat.run(*args)
    )
    line = one_line(result, 5, "catalogue.sqlite", "damaged", "backups", "originals")
    assert database.read_bytes() == damaged  # never altered, not even "repaired"
    assert _files(cat.root / "store" / "objects") == objects and _files(cat.root / "store" / "tmp") == []
    assert "restore it from a copy" in line


def test_a_missing_sqlite_catalogue_is_not_recreated(sqlite_catalogue: Catalogue) -> None:
    cat = sqlite_catalogue
    database = cat.root / "catalogue.sqlite"
    database.unlink()
    for args in (["list"], ["verify"], ["db", "upgrade"]):
        one_line(cat.run(*args), 5, "is missing", "restore it from a copy", "evidence init")
        assert not database.exists()


def test_an_unreadable_catalogue_folder_is_an_environment_failure(tmp_path: Path) -> None:
    """The database URL points into a folder that does not exist: SQLite cannot open it (exit 4)."""
    home = tmp_path / "case"
    home.mkdir()
    env = {"EVIDENCE_CATALOGUE": None, "EVIDENCE_DATABASE_URL": f"sqlite:///{tmp_path}/no/such/dir/x.sqlite"}
    result = CliRunner().invoke(app, ["init", str(home)], env=env)
    one_line(result, 4, "catalogue database")
