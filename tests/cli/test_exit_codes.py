"""Issue 17: refusals the README gives a meaning to never come out as exit 1 ("internal error").

Each case runs a command in-process and checks the contract: the documented exit code, exactly one
line on stderr starting "evidence: " that says what is wrong (and the bound, the range or the way
out), no traceback, and nothing written (the custody log and the store are as they were; a damaged
database file keeps its bytes).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from annotating import snapshot
from conftest import Catalogue
from mediagen import make_image, make_video
from typer.testing import CliRunner

from evidence.cli.main import app

BIG = "99999999999999999999999"  # beyond 64 bits
JUST_OVER = str(2**63)  # one more than SQLite and PostgreSQL can bind
BIGINT_MAX = str(2**63 - 1)
INT_MAX = str(2**31 - 1)  # PostgreSQL's integer: ids, frame indexes, pixels
INT_OVER = str(2**31)


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


@dataclass
class Seeded:
    cat: Catalogue
    image: int  # an analysed image (it has stored frame 0)
    video: int  # a video added without analysis: no frames, no known duration or size
    spare: Path  # a file not yet in the catalogue


@pytest.fixture
def seeded(catalogue: Catalogue) -> Seeded:
    cat = catalogue
    image = make_image(cat.home / "photo.png", size=(160, 120), seed=7)
    video = make_video(cat.home / "clip.mp4", seconds=1.0, size=(160, 120))
    spare = make_image(cat.home / "spare.png", size=(160, 120), seed=8)
    first = cat.json("add", image)["results"][0]
    assert first["analysis"] == "ok", first
    second = cat.json("add", video, "--no-analysis")["results"][0]
    return Seeded(cat, first["id"], second["id"], spare)


def _state(seeded: Seeded) -> tuple[Any, ...]:
    store = seeded.cat.root / "store"
    return (snapshot(seeded.cat), _files(store / "objects"), _files(store / "tmp"), _files(store / "orphans"))


# ------------------------------------------------------------------------------ times beyond the calendar

OVERFLOWING = ["0001-01-01T00:00+01:00", "9999-12-31T23:59-01:00", "9999-12-31T23:59:59.999999-00:01"]
TIME_OPTIONS: list[tuple[str, Callable[[Seeded, str], list[str]]]] = [
    ("add --posted-at", lambda s, v: ["add", str(s.spare), "--no-analysis", "--posted-at", v]),
    ("claim --date", lambda s, v: ["claim", str(s.image), "--by", "x", "--text", "y", "--date", v]),
    ("search --since", lambda s, v: ["search", "--since", v]),
    ("search --until", lambda s, v: ["search", "--until", v]),
]


@pytest.mark.parametrize("value", OVERFLOWING)
@pytest.mark.parametrize(("option", "args"), TIME_OPTIONS, ids=[o[0] for o in TIME_OPTIONS])
def test_times_that_overflow_in_utc_are_refused_naming_the_range(
    seeded: Seeded, option: str, args: Callable[[Seeded, str], list[str]], value: str
) -> None:
    before = _state(seeded)
    result = seeded.cat.run(*args(seeded, value))
    one_line(result, 2, option.split()[-1], "0001-01-01", "9999-12-31")
    assert _state(seeded) == before


@pytest.mark.parametrize(
    "until", ["9999", "9999-12", "9999-12-31", "9999-12-31T23:59Z", "9999-12-31T23:59:59Z"]
)
def test_the_last_period_of_the_calendar_is_searchable(seeded: Seeded, until: str) -> None:
    cat = seeded.cat
    results = cat.json("search", "--since", "0001-01-01T00:00Z", "--until", until)["results"]
    assert [r["id"] for r in results] == [seeded.image, seeded.video]  # both were captured today


def test_the_first_and_last_instants_round_trip(seeded: Seeded) -> None:
    """The edges of the calendar are stored and read back exactly, on either backend."""
    cat = seeded.cat
    added = cat.json("add", seeded.spare, "--no-analysis", "--posted-at", "0001-01-01T00:00Z")["results"][0]
    claim = cat.json(
        "claim", str(added["id"]), "--by", "x", "--text", "y", "--date", "9999-12-31T23:59:59.999999Z"
    )
    assert claim["date"] == "9999-12-31T23:59:59.999999Z"
    shown = cat.json("show", str(added["id"]))
    assert shown["acquisitions"][0]["posted_at"] == "0001-01-01T00:00:00Z"
    found = cat.json("search", "--until", "0001-01-01")["results"]
    assert [r["id"] for r in found] == [added["id"]]
    assert cat.json("provenance", str(added["id"]))["earliest"]["at"] == "0001-01-01T00:00:00Z"
    assert cat.run("export").exit_code == 0


# ------------------------------------------------------------------------------ integers beyond bounds


def _claim(s: Seeded) -> list[str]:
    return ["claim", str(s.image), "--by", "x", "--text", "y"]


def _tag(s: Seeded) -> list[str]:
    return ["tag", str(s.video), "helmet"]


INTEGER_CASES: list[tuple[str, Callable[[Seeded, Path], list[str]], str]] = [
    # item references: too large to be an id is "no such item"
    ("show big", lambda s, o: ["show", BIG], "no item"),
    ("show just over", lambda s, o: ["show", JUST_OVER], "no item"),
    ("show max", lambda s, o: ["show", BIGINT_MAX], "no item"),
    ("show over int", lambda s, o: ["show", INT_OVER], "no item"),
    ("untag over int", lambda s, o: ["untag", INT_OVER], "no tag with id"),
    ("describe claim over int", lambda s, o: ["describe", str(s.image), "helmet", "--claim", INT_OVER],
     "no claim"),
    ("frames", lambda s, o: ["frames", BIG], "no item"),
    ("tags", lambda s, o: ["tags", JUST_OVER], "no item"),
    ("claims", lambda s, o: ["claims", BIG], "no item"),
    ("provenance", lambda s, o: ["provenance", BIG], "no item"),
    ("report", lambda s, o: ["report", BIG, "-o", str(o / "r.html")], "no item"),
    ("export", lambda s, o: ["export", BIG], "no item"),
    ("analyze", lambda s, o: ["analyze", JUST_OVER], "no item"),
    ("relate", lambda s, o: ["relate", str(s.image), BIG, "--confirm"], "no item"),
    ("tag ref", lambda s, o: ["tag", BIG, "helmet"], "no item"),
    ("claim ref", lambda s, o: ["claim", BIG, "--by", "x", "--text", "y"], "no item"),
    ("describe ref", lambda s, o: ["describe", JUST_OVER, "helmet"], "no item"),
    ("sheet ref", lambda s, o: ["sheet", BIG, "-o", str(o / "s.jpg")], "no item"),
    ("not an ASCII digit", lambda s, o: ["show", "²"], "item id"),
    # other records named by id
    ("untag big", lambda s, o: ["untag", BIG], "no tag with id"),
    ("untag just over", lambda s, o: ["untag", JUST_OVER], "no tag with id"),
    ("counters", lambda s, o: [*_claim(s), "--counters", BIG], "no claim"),
    ("counters over", lambda s, o: [*_claim(s), "--counters", JUST_OVER], "no claim"),
    ("describe claim", lambda s, o: ["describe", str(s.image), "helmet", "--claim", BIG], "no claim"),
    # indexes, limits and sizes: refused with their bound
    ("frame big", lambda s, o: ["tag", str(s.image), "helmet", "--frame", BIG], INT_MAX),
    ("frame just over", lambda s, o: ["tag", str(s.image), "helmet", "--frame", JUST_OVER], INT_MAX),
    ("frame over int", lambda s, o: ["tag", str(s.image), "helmet", "--frame", INT_OVER], INT_MAX),
    ("frame no frames", lambda s, o: ["tag", str(s.video), "helmet", "--frame", JUST_OVER], INT_MAX),
    ("list limit", lambda s, o: ["list", "--limit", BIG], BIGINT_MAX),
    ("list limit over", lambda s, o: ["list", "--limit", JUST_OVER], BIGINT_MAX),
    ("list limit zero", lambda s, o: ["list", "--limit", "0"], "1"),
    ("search limit", lambda s, o: ["search", "--limit", JUST_OVER], BIGINT_MAX),
    ("dupes limit", lambda s, o: ["dupes", "--limit", JUST_OVER], BIGINT_MAX),
    ("columns", lambda s, o: ["sheet", str(s.image), "-o", str(o / "s.jpg"), "--columns", BIG], "12"),
    ("threshold", lambda s, o: ["match", str(s.spare), "--threshold", BIG], "128"),
    ("box", lambda s, o: ["tag", str(s.video), "helmet", "--box", f"0,0,{BIG},1"], INT_MAX),
    ("box over", lambda s, o: ["tag", str(s.video), "helmet", "--box", f"0,0,{INT_OVER},1"], INT_MAX),
    # a time of day is no integer, but it must fit too (the video's duration is unknown here)
    ("at", lambda s, o: [*_tag(s), "--at", "9" * 400], "seconds"),
    ("range", lambda s, o: [*_tag(s), "--range", f"0-{'9' * 400}"], "seconds"),
    ("range clock", lambda s, o: [*_tag(s), "--range", f"0-{'9' * 400}:00:00"], "seconds"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "args", "needle"), INTEGER_CASES, ids=[c[0] for c in INTEGER_CASES])
def test_integers_out_of_range_are_refused_with_exit_2(
    seeded: Seeded, tmp_path: Path, name: str, args: Callable[[Seeded, Path], list[str]], needle: str
) -> None:
    before = _state(seeded)
    result = seeded.cat.run(*args(seeded, tmp_path))
    one_line(result, 2, needle)
    assert _state(seeded) == before
    assert not (tmp_path / "r.html").exists() and not (tmp_path / "s.jpg").exists()


def test_the_largest_bindable_values_still_work(seeded: Seeded) -> None:
    cat = seeded.cat
    assert len(cat.json("list", "--limit", BIGINT_MAX)["items"]) == 2
    assert len(cat.json("search", "--kind", "image", "--limit", BIGINT_MAX)["results"]) == 1
    assert cat.json("dupes", "--limit", BIGINT_MAX)["more"] is False
