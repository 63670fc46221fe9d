"""Docs that cannot drift: every command is in the README's reference, and the README's commands work."""

from __future__ import annotations

import re
from pathlib import Path

from typer.main import get_command

from evidence.cli.main import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _commands() -> list[str]:
    group = get_command(app)
    names: list[str] = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        sub = getattr(command, "commands", None)
        names.extend(f"{name} {s}" for s in sub) if sub else names.append(name)
    return sorted(names)


def test_every_command_is_in_the_readme_reference() -> None:
    missing = [name for name in _commands() if f"`evidence {name}" not in README]
    assert missing == []


def test_every_add_option_is_documented() -> None:
    group = get_command(app)
    add = group.commands["add"]  # type: ignore[attr-defined]
    options = [opt for p in add.params for opt in p.opts if opt.startswith("--")]
    assert [o for o in options if o not in README] == []


def test_readme_opens_with_the_two_commands_ci_runs() -> None:
    blocks = re.findall(r"```sh\n(.*?)\n```", README, re.S)
    install, tests = blocks[0], blocks[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert install in ci and tests in ci
    assert "pip install -e '.[dev]'" in install and "evidence add examples/" in install


def test_changelog_has_entries() -> None:
    lines = [line for line in (ROOT / "CHANGELOG.md").read_text().splitlines() if line.startswith("- ")]
    assert len(lines) >= 5


ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text()


def test_every_module_the_architecture_names_exists() -> None:
    named = set(re.findall(r"`((?:[a-z_]+/)*[a-z_]+\.py)", ARCHITECTURE))
    assert named, "the architecture names modules"
    missing = [p for p in named if not (ROOT / "evidence" / p).exists() and not (ROOT / p).exists()]
    assert missing == []


def test_the_architecture_lists_every_folder_of_the_package() -> None:
    folders = {p.name for p in (ROOT / "evidence").rglob("*") if p.is_dir() and (p / "__init__.py").exists()}
    folders.discard("evidence")
    assert folders, "the package has folders"
    assert sorted(f for f in folders if f"{f}/" not in ARCHITECTURE) == []
