"""A PostgreSQL catalogue on an installation without its driver (psycopg, which the `team` extra
installs): every command says so in one line naming the install command, exit 4, and no traceback.

The driver is made unimportable the way Python itself allows (`sys.modules["psycopg"] = None`), both in
this process (the CLI runner) and in a fresh `evidence` process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Catalogue
from sqlalchemy.exc import NoSuchModuleError

from evidence.catalogue import engine
from evidence.cli.main import app
from evidence.errors import EnvironmentFailure

PG_URL = "postgresql+psycopg://evidence@127.0.0.1/evidence"
COMMANDS = [["list"], ["verify"], ["db", "upgrade"], ["add", "SPARE"], ["init"]]


def _one_line(result_code: int, stderr: str, output: str) -> str:
    assert result_code == 4, (result_code, output)
    assert "Traceback" not in output and "internal error" not in output, output
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("evidence: "), stderr
    assert "PostgreSQL" in lines[0] and "psycopg" in lines[0], lines[0]
    assert "`pip install 'evidence[team]'`" in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_names_the_team_extra_when_psycopg_is_missing(
    sqlite_catalogue: Catalogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    cat = sqlite_catalogue
    monkeypatch.setitem(sys.modules, "psycopg", None)  # `import psycopg` now fails as if not installed
    (cat.home / "spare.txt").write_text("not added\n")
    env = {"EVIDENCE_DATABASE_URL": PG_URL}
    if command == ["init"]:
        fresh = tmp_path / "fresh"
        fresh.mkdir()
        result: Any = cat.runner.invoke(app, ["init", str(fresh)], env={**cat.env, **env})
    else:
        args = [str(cat.home / "spare.txt") if a == "SPARE" else a for a in command]
        result = cat.run(*args, env=env)
    _one_line(result.exit_code, result.stderr, result.output)
    assert "evidence@" not in result.stderr  # the URL itself is never echoed
    if command == ["init"]:
        assert not (fresh / ".evidence").exists(), "nothing is written before the driver is found"


def test_a_fresh_process_without_psycopg_exits_4_in_one_line(sqlite_catalogue: Catalogue) -> None:
    cat = sqlite_catalogue
    program = (
        "import sys; sys.modules['psycopg'] = None; sys.argv[0] = 'evidence'; "
        "from evidence.cli.main import run; run()"
    )
    done = subprocess.run(
        [sys.executable, "-c", program, "--catalogue", str(cat.root), "list"],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cat.home), "EVIDENCE_DATABASE_URL": PG_URL},
    )
    _one_line(done.returncode, done.stderr, done.stdout + done.stderr)
    assert done.stdout == ""


def test_an_unknown_driver_names_its_scheme(monkeypatch: pytest.MonkeyPatch) -> None:
    """A scheme the URL check lets through but SQLAlchemy cannot load (a broken installation)."""

    def refuse(*_args: Any, **_kw: Any) -> None:
        raise NoSuchModuleError("Can't load plugin: sqlalchemy.dialects:postgresql.psycopg")

    monkeypatch.setattr(engine, "create_engine", refuse)
    with pytest.raises(EnvironmentFailure) as raised:
        engine.make_engine(PG_URL)
    assert "the URL scheme 'postgresql+psycopg'" in raised.value.message
    assert "evidence@" not in raised.value.message
