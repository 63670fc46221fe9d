"""The command-line contract, in-process: every command, its exit codes and its JSON shapes."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from conftest import Catalogue
from mediagen import make_image
from typer.testing import CliRunner

from evidence.cli.main import app


def test_without_a_catalogue_says_how_to_create_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["list"], env={"EVIDENCE_CATALOGUE": None})
    assert result.exit_code == 2
    assert "evidence init" in result.stderr
    assert "Traceback" not in result.output


def test_init_creates_catalogue_and_finds_it_upward(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    env = {"EVIDENCE_CATALOGUE": None, "EVIDENCE_DATABASE_URL": None}
    result = runner.invoke(app, ["init"], env=env)
    assert result.exit_code == 0, result.output
    assert (tmp_path / ".evidence" / "catalogue.sqlite").is_file()
    assert (tmp_path / ".evidence" / "store" / "objects").is_dir()
    deeper = tmp_path / "a" / "b"
    deeper.mkdir(parents=True)
    (deeper / "x.txt").write_text("found from below")
    monkeypatch.chdir(deeper)
    result = runner.invoke(app, ["add", "x.txt", "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["results"][0]["status"] == "added"
    again = runner.invoke(app, ["init", str(tmp_path)], env=env)
    assert again.exit_code == 0 and "already exists" in again.stdout


def test_add_list_show_verify_roundtrip(catalogue: Catalogue) -> None:
    src = make_image(catalogue.home / "clip.jpg", (480, 360), quality=90)
    doc = catalogue.json(
        "add",
        src,
        "--source-url",
        "https://t.me/x/1",
        "--posted-at",
        "2016-03-24T10:00Z",
        "--collected-by",
        "ana",
        "--claimed-by",
        "Amaq",
        "--note",
        "from tip",
    )
    [entry] = doc["results"]
    assert entry["status"] == "added"
    assert entry["analysis"] == "ok"
    assert entry["near_duplicates"] == []
    assert set(entry) >= {"path", "id", "sha256", "status", "near_duplicates", "analysis"}
    assert (
        catalogue.root / "store" / "objects" / entry["sha256"][:2] / entry["sha256"][2:4] / entry["sha256"]
    ).read_bytes() == src.read_bytes()

    listing = catalogue.json("list")["items"]
    assert [i["sha256"] for i in listing] == [entry["sha256"]]
    assert listing[0]["original_name"] == "clip.jpg"
    table = catalogue.ok("list").stdout
    assert entry["sha256"][:12] in table and "clip.jpg" in table

    shown = catalogue.json("show", entry["sha256"][:8])
    assert shown["kind"] == "image" and shown["mime"] == "image/jpeg"
    assert shown["probe"]["width"] == 1024 or shown["probe"].get("size") or shown["probe"]
    [acq] = shown["acquisitions"]
    assert acq["source_url"] == "https://t.me/x/1"
    assert acq["posted_at"] == "2016-03-24T10:00:00Z"
    assert acq["collected_by"] == "ana" and acq["claimed_by"] == "Amaq" and acq["note"] == "from tip"
    assert [e["action"] for e in shown["events"]] == ["preserve", "acquire", "analyse"]
    human = catalogue.ok("show", str(entry["id"])).stdout
    assert "https://t.me/x/1" in human and "Custody events" in human

    report = catalogue.json("verify")
    assert report["ok"] is True and report["objects_checked"] == 1 and report["problems"] == []


def test_same_bytes_twice_is_one_item_with_two_acquisitions(catalogue: Catalogue) -> None:
    a = catalogue.home / "a.txt"
    b = catalogue.home / "renamed copy.txt"
    a.write_text("same bytes")
    b.write_text("same bytes")
    first = catalogue.json("add", a)["results"][0]
    second = catalogue.json("add", b, "--source-url", "https://example.org/2")["results"][0]
    assert second["status"] == "duplicate"
    assert second["id"] == first["id"] and second["sha256"] == first["sha256"]
    shown = catalogue.json("show", str(first["id"]))
    assert [a["original_name"] for a in shown["acquisitions"]] == ["a.txt", "renamed copy.txt"]
    objects = [p for p in (catalogue.root / "store" / "objects").rglob("*") if p.is_file()]
    assert len(objects) == 1


def test_folders_are_walked_sorted_and_hidden_files_skipped(catalogue: Catalogue, files: Path) -> None:
    (files / ".hidden").write_text("secret")
    sub = files / "sub"
    sub.mkdir()
    (sub / "deep.txt").write_text("deep")
    doc = catalogue.json("add", files)
    names = [Path(r["path"]).name for r in doc["results"]]
    assert names == ["note-0.txt", "note-1.txt", "note-2.txt", "deep.txt"]
    with_hidden = catalogue.json("add", files, "--hidden")
    assert any(Path(r["path"]).name == ".hidden" and r["status"] == "added" for r in with_hidden["results"])


def test_symlinks_inside_folders_are_not_followed(catalogue: Catalogue, files: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("outside the folder")
    (files / "link.txt").symlink_to(outside)
    (files / "loop").symlink_to(files)
    doc = catalogue.json("add", files)
    assert len(doc["results"]) == 3
    assert {Path(s["path"]).name for s in doc["skipped"]} == {"link.txt", "loop"}


def test_empty_file_is_refused_and_nothing_written(catalogue: Catalogue) -> None:
    empty = catalogue.home / "empty.mp4"
    empty.write_bytes(b"")
    result = catalogue.run("add", empty)
    assert result.exit_code == 2
    assert "empty" in result.stderr and "Traceback" not in result.output
    assert catalogue.json("list")["items"] == []


def test_missing_path_and_fifo_and_device_are_refused_without_hanging(catalogue: Catalogue) -> None:
    fifo = catalogue.home / "pipe.mp4"
    os.mkfifo(fifo)
    for path, words in (
        (catalogue.home / "nope.mp4", "no such file"),
        (fifo, "FIFO"),
        (Path("/dev/zero"), "device"),
    ):
        result = catalogue.run("add", path)
        assert result.exit_code == 2, result.output
        assert words in result.stderr
        assert len(result.stderr.strip().splitlines()) == 2  # the refusal and the summary
    assert catalogue.json("list")["items"] == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file_is_refused(catalogue: Catalogue) -> None:
    secret = catalogue.home / "secret.jpg"
    secret.write_bytes(b"x" * 10)
    secret.chmod(0)
    result = catalogue.run("add", secret)
    assert result.exit_code == 2 and "permission" in result.stderr


def test_unprobeable_file_is_preserved_with_failed_analysis(catalogue: Catalogue) -> None:
    fake = catalogue.home / "video.mp4"
    fake.write_text("this is not a video at all\n")
    result = catalogue.run("add", fake, "--json")
    assert result.exit_code == 3, result.output
    [entry] = json.loads(result.stdout)["results"]
    assert entry["status"] == "added"
    assert entry["analysis"].startswith("failed:")
    stored = (
        catalogue.root / "store" / "objects" / entry["sha256"][:2] / entry["sha256"][2:4] / entry["sha256"]
    )
    assert stored.read_bytes() == fake.read_bytes()


def test_stored_objects_are_read_only(catalogue: Catalogue, files: Path) -> None:
    catalogue.ok("add", files)
    for path in (catalogue.root / "store" / "objects").rglob("*"):
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) == 0o444


def test_posted_at_without_timezone_is_refused(catalogue: Catalogue, files: Path) -> None:
    result = catalogue.run("add", files, "--posted-at", "2016-03-24T10:00")
    assert result.exit_code == 2
    assert "timezone" in result.stderr
    assert catalogue.json("list")["items"] == []


def test_unknown_ref_and_ambiguous_prefix(catalogue: Catalogue, files: Path) -> None:
    catalogue.ok("add", files)
    assert catalogue.run("show", "999").exit_code == 2
    assert catalogue.run("show", "zz").exit_code == 2
    result = catalogue.run("show", "ffffffffff")
    assert result.exit_code == 2 and "no item" in result.stderr


def test_hostile_file_names_print_safely(catalogue: Catalogue, tmp_path: Path) -> None:
    folder = tmp_path / "names"
    folder.mkdir()
    nasty = folder / "evil\nname\x1b[31mred.txt"
    nasty.write_text("payload")
    result = catalogue.run("add", folder)
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output
    assert "evil\\x0aname\\x1b[31mred.txt" in result.stdout
    listing = catalogue.json("list")["items"]
    assert listing[0]["original_name"] == "evil\nname\x1b[31mred.txt"


def test_non_utf8_file_name_is_kept(catalogue: Catalogue, tmp_path: Path) -> None:
    folder = tmp_path / "bytes"
    folder.mkdir()
    raw = os.fsencode(str(folder)) + b"/caf\xe9.txt"
    with open(raw, "wb") as handle:
        handle.write(b"latin-1 name")
    result = catalogue.run("add", folder, "--json")
    assert result.exit_code == 0, result.output
    entry = json.loads(result.stdout)["results"][0]
    assert entry["path"].endswith("caf\\xe9.txt")


def test_debug_env_shows_traceback_otherwise_one_line(catalogue: Catalogue) -> None:
    plain = catalogue.run("show", "999")
    assert plain.exit_code == 2 and len(plain.stderr.strip().splitlines()) == 1
    debug = catalogue.run("show", "999", env={"EVIDENCE_DEBUG": "1"})
    assert debug.exception is not None and type(debug.exception).__name__ == "NotFound"


def test_verify_detects_a_changed_object(catalogue: Catalogue, files: Path) -> None:
    doc = catalogue.json("add", files)
    sha = doc["results"][0]["sha256"]
    path = catalogue.root / "store" / "objects" / sha[:2] / sha[2:4] / sha
    path.chmod(0o644)
    path.write_bytes(b"tampered")
    report = catalogue.json("verify", code=5)
    assert report["ok"] is False
    assert [p["kind"] for p in report["problems"]] == ["changed"]
    assert sha in report["problems"][0]["message"]


def test_verify_detects_missing_and_untracked_objects(catalogue: Catalogue, files: Path) -> None:
    doc = catalogue.json("add", files)
    sha = doc["results"][1]["sha256"]
    (catalogue.root / "store" / "objects" / sha[:2] / sha[2:4] / sha).unlink()
    dropped = catalogue.root / "store" / "objects" / "ab" / "cd"
    dropped.mkdir(parents=True)
    (dropped / ("abcd" + "0" * 60)).write_text("planted")
    result = catalogue.run("verify")
    assert result.exit_code == 5
    assert "missing" in result.stderr and "untracked" in result.stderr


def test_verify_appends_a_fixity_event(catalogue: Catalogue, files: Path) -> None:
    catalogue.ok("add", files)
    first = catalogue.json("verify")["chain_head"]
    second = catalogue.json("verify")["chain_head"]
    assert first != second  # the first verification was itself logged


def test_analyze_reruns_failed(catalogue: Catalogue) -> None:
    fake = catalogue.home / "clip.mp4"
    fake.write_text("not a video")
    catalogue.run("add", fake)
    result = catalogue.run("analyze", "--failed", "--json")
    assert result.exit_code == 3
    assert json.loads(result.stdout)["results"][0]["analysis"].startswith("failed:")
    assert catalogue.run("analyze").exit_code == 2


def test_version_and_help() -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["--version"]).stdout.startswith("evidence ")
    help_text = runner.invoke(app, ["add", "--help"]).stdout
    assert "--source-url" in help_text and "--posted-at" in help_text


def test_help_shows_no_type_beside_a_flag() -> None:
    """A flag takes no value: `--help` shows `<str>` beside an option that takes text, nothing beside a
    flag (it used to show `<bool>`, as if the flag wanted a value)."""
    runner = CliRunner()
    for command in (["add"], ["claims"], ["search"], ["claim", "record"], ["tags"]):
        help_text = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "100"}).stdout
        assert "--json" in help_text and "<bool>" not in help_text, command
    assert "<str>" in runner.invoke(app, ["add", "--help"], env={"COLUMNS": "100"}).stdout


def test_output_cut_short_by_its_reader_is_no_internal_error(
    sqlite_catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`evidence list | head -1`: when the reader goes away mid-table, the command stops quietly with
    exit 141 (as a tool killed by SIGPIPE) instead of reporting an internal error."""
    from evidence.cli import output

    class ClosedPipe:
        width = 80

        def print(self, *_args: object, **_kwargs: object) -> None:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(output, "stdout", ClosedPipe)
    result = sqlite_catalogue.run("list")
    assert result.exit_code == 141
    assert "internal error" not in result.stderr and result.stderr == ""


def test_tables_fit_80_columns_cutting_long_text_with_an_ellipsis(
    sqlite_catalogue: Catalogue, tmp_path: Path
) -> None:
    """At 80 columns a table keeps one line per row: ids, hashes and times whole, a long name or term
    cut with `…` instead of wrapping mid-word onto lines of its own."""
    from mediagen import make_image
    from rich.cells import cell_len

    cat = sqlite_catalogue
    name = "a-very-long-original-file-name-of-a-reposted-picture-from-a-channel.png"
    added = cat.json("add", make_image(tmp_path / name, size=(160, 120), seed=4))["results"][0]
    cat.ok("add", make_image(tmp_path / "short.png", size=(160, 120), seed=5))
    cat.ok("tag", str(added["id"]), "helmet", "--note", "a long note about the helmet's chin strap and cover")
    for args, rows in [(["list"], 2), (["search", "--tag", "helmet"], 1), (["tags", str(added["id"])], 1)]:
        out = cat.runner.invoke(app, ["--catalogue", str(cat.root), *args], env={**cat.env, "COLUMNS": "80"})
        assert out.exit_code == 0, out.output
        lines = out.stdout.rstrip("\n").splitlines()
        assert len(lines) == 2 + rows, (args, out.stdout)  # header, rule, one line per row
        assert all(cell_len(line.rstrip()) <= 80 for line in lines), (args, out.stdout)
        assert "…" in out.stdout, args
        assert added["sha256"][:12] in out.stdout or args[0] == "tags"
    wide = cat.runner.invoke(app, ["--catalogue", str(cat.root), "list"], env={**cat.env, "COLUMNS": "200"})
    assert name in wide.stdout  # with room, nothing is cut
