"""`evidence add --manifest FILE`: many files, each with its own acquisition details, from CSV or JSON
lines; every row checked before anything is added; `export --table acquisitions` reads back as it is.
And `evidence add URL`, which says to use `evidence capture`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import Catalogue
from mediagen import make_image, make_video

from evidence.cli.main import app

SOURCE_COLUMNS = (
    "original_name",
    "original_path",
    "source_url",
    "posted_at",
    "posted_at_precision",
    "claimed_by",
    "collected_by",
    "note",
)


def _fresh(home: Path) -> Catalogue:
    home.mkdir()
    cat = Catalogue(home, "sqlite", None)
    result = cat.runner.invoke(app, ["init", str(home)], env=cat.env)
    assert result.exit_code == 0, result.output
    return cat


def _acquisitions(cat: Catalogue) -> list[dict[str, str]]:
    out = cat.ok("export", "--format", "csv", "--table", "acquisitions").stdout
    return list(csv.DictReader(io.StringIO(out, newline="")))


def _one_line(result: Any, *needles: str) -> str:
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("evidence: "), result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return str(lines[0])


def _nothing_added(cat: Catalogue) -> None:
    assert cat.json("list")["items"] == []
    assert _acquisitions(cat) == []
    events = cat.ok("export", "--format", "csv", "--table", "events").stdout
    actions = {row["action"] for row in csv.DictReader(io.StringIO(events, newline=""))}
    assert not actions & {"preserve", "acquire"}, actions
    assert [p for p in (cat.root / "store" / "objects").rglob("*") if p.is_file()] == []


# ------------------------------------------------------------------------------ a manifest of 20 rows


def test_a_manifest_of_twenty_rows_adds_each_file_with_its_own_details(
    sqlite_catalogue: Catalogue, tmp_path: Path
) -> None:
    cat = sqlite_catalogue
    media = tmp_path / "collected"
    (media / "clips").mkdir(parents=True)
    rows: list[dict[str, str]] = []
    for i in range(20):
        if i % 5 == 0:
            name = f"clips/clip-{i:02d}.mp4"
            make_video(media / name, seconds=0.5, fps=4, size=(64, 48), seed=i)
        else:
            name = f"photo-{i:02d}.png"
            make_image(media / name, size=(48, 36), seed=i)
        rows.append(
            {
                "path": name,
                "source_url": f"https://social.example/p/{i}",
                "posted_at": f"2016-03-{i + 1:02d}" if i % 2 else f"2016-03-{i + 1:02d}T10:{i:02d}Z",
                "claimed_by": f"uploader {i}",
                "collected_by": "analyst" if i < 10 else "",
                "note": f"post {i}, reply thread" if i % 3 else "",
                "platform": "telegram" if i % 2 else "x",
            }
        )
    manifest = tmp_path / "collected.csv"  # outside the media folder: paths resolve against its folder
    with manifest.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**r, "path": f"collected/{r['path']}"} for r in rows)

    document = cat.json("add", "--manifest", manifest)
    results = document["results"]
    assert [Path(r["path"]).name for r in results] == [Path(r["path"]).name for r in rows]
    assert all(r["status"] == "added" and r["analysis"] == "ok" for r in results), results

    for i, (row, result) in enumerate(zip(rows, results, strict=True)):
        shown = cat.json("show", str(result["id"]))
        (acq,) = shown["acquisitions"]
        assert acq["original_path"] == str(media / row["path"])
        assert acq["source_url"] == row["source_url"]
        assert acq["posted_at"].startswith(row["posted_at"].removesuffix("Z"))
        assert acq["posted_at_precision"] == ("day" if i % 2 else "minute")
        assert acq["claimed_by"] == row["claimed_by"]
        assert acq["collected_by"] == (row["collected_by"] or None)
        assert acq["note"] == (row["note"] or None)
        # the free column is kept with the row's place in the manifest, in the acquisition's custody event
        assert acq["manifest"]["line"] == i + 2 and acq["manifest"]["extra"] == {"platform": row["platform"]}
        (acquire,) = [e for e in shown["events"] if e["action"] == "acquire"]
        assert acquire["details"]["manifest"] == acq["manifest"]
        assert acquire["details"]["manifest"]["file"] == str(manifest)

    text = cat.ok("show", str(results[1]["id"])).stdout
    assert "platform" in text and "telegram" in text and f"{manifest} line 3" in text
    assert cat.ok("verify").exit_code == 0


# ------------------------------------------------------------------------------ export reads back


def test_the_exported_acquisitions_table_imports_back_unchanged(
    sqlite_catalogue: Catalogue, tmp_path: Path
) -> None:
    cat = sqlite_catalogue
    folder = tmp_path / "files"
    folder.mkdir()
    for name in ("a.txt", "b.txt", "c.txt", "d.txt", "e.txt"):
        (folder / name).write_text(f"the file {name}\n")
    cat.ok(
        "add", folder / "a.txt", "--source-url", "https://agency.example/post/1", "--posted-at", "2016-03-24",
        "--claimed-by", "Agency", "--collected-by", "analyst one", "--note", "=HYPERLINK(\"x\"); -2+3, @me",
    )  # fmt: skip
    cat.ok("add", folder / "b.txt", "--posted-at", "2016-03-24T10:00+02:00", "--note", "line one\nline two")
    cat.ok("add", folder / "c.txt", "--posted-at", "2016", "--claimed-by", "+someone")
    cat.ok("add", folder / "d.txt", "--posted-at", "2016-03-24T10:00:05.25Z", "--source-url", "https://x/1")
    cat.ok("add", folder / "a.txt", "--source-url", "https://mirror.example/2", "--posted-at", "2016-03")
    wrong = cat.json("add", folder / "e.txt", "--source-url", "https://wrong.example")["results"][0]
    acquisition = str(wrong["acquisition_id"])
    cat.ok("acquisition", "correct", acquisition, "--reason", "typo", "--source-url", "https://right.example")
    exported = tmp_path / "acquisitions.csv"
    exported.write_bytes(cat.ok("export", "--format", "csv", "--table", "acquisitions").stdout_bytes)
    before = _acquisitions(cat)
    assert any(
        r["note"].startswith("'=") for r in before
    )  # the export escaped a formula: read back without it
    standing = [{k: r[k] for k in SOURCE_COLUMNS} for r in before if r["withdrawn"] == "false"]

    fresh = _fresh(tmp_path / "fresh")
    result = fresh.ok("add", "--manifest", exported, "--no-analysis")
    assert "withdrawn (corrected by a later acquisition)" in result.stderr  # the corrected one is skipped
    after = _acquisitions(fresh)
    assert [{k: r[k] for k in SOURCE_COLUMNS} for r in after] == standing
    assert all(r["withdrawn"] == "false" for r in after)
    # and what the catalogue derives (ids, hashes, capture time) is its own, not taken from the file
    assert {r["item_sha256"] for r in after} == {r["item_sha256"] for r in before}


# ------------------------------------------------------------------------------ every row checked first

GOOD = "ok.txt"
BAD_MANIFESTS = [
    (
        "no-path.csv",
        f"path,note\n{GOOD},fine\n,only a note\n",
        ["line 3", "no path"],
    ),
    (
        "both.csv",
        f"path,url,note\n{GOOD},,\n{GOOD},https://x.example/1,\n",
        ["line 3", "both a path and a url"],
    ),
    (
        "missing.csv",
        f"path\n{GOOD}\n\nnowhere.mp4\n",
        ["line 4", "nowhere.mp4: no such file"],
    ),
    (
        "folder.csv",
        f"path\n{GOOD}\nsub\n",
        ["line 3", "is a folder"],
    ),
    (
        "posted.csv",
        f"path,posted_at\n{GOOD},2016-03-24\n{GOOD},last tuesday\n",
        ["line 3", "posted_at", "ISO-8601"],
    ),
    (
        "naive.jsonl",
        f'{{"path": "{GOOD}"}}\n{{"path": "{GOOD}", "posted_at": "2016-03-24T10:00"}}\n',
        ["line 2", "timezone"],
    ),
    (
        "twice.csv",
        f"path,note,note\n{GOOD},a,b\n",
        ["line 1", "'note' is given twice"],
    ),
    (
        "clash.csv",
        f"path,original_path\n{GOOD},{GOOD}\n",
        ["line 1", "'path' and 'original_path'"],
    ),
    (
        "ftp.csv",
        f"path,url\n{GOOD},\n,ftp://files.example/a.mp4\n",
        ["line 3", "not an http(s) link"],
    ),
    (
        "link-then-bad.jsonl",  # a link is not captured before every row is checked
        '{"url": "http://127.0.0.1:9/post"}\n\n{"path": "nowhere.mp4"}\n',
        ["line 3", "nowhere.mp4: no such file"],
    ),
    (
        "json.jsonl",
        f'{{"path": "{GOOD}"}}\n{{"path": "{GOOD}",\n',
        ["line 2", "not JSON"],
    ),
    (
        "keys.jsonl",
        f'{{"path": "{GOOD}", "note": "a", "note": "b"}}\n',
        ["line 1", "'note' is given twice"],
    ),
    (
        "type.jsonl",
        f'{{"path": "{GOOD}", "claimed_by": 5}}\n',
        ["line 1", "claimed_by must be text"],
    ),
    (
        "surrogate.jsonl",
        f'{{"path": "{GOOD}"}}\n{{"path": "{GOOD}", "note": "\\ud800"}}\n',
        ["line 2", "not Unicode text"],
    ),
    (
        "wide.csv",
        f"path,note\n{GOOD},a,b\n",
        ["line 2", "3 cells but the header has 2"],
    ),
    (
        "empty.csv",
        "",
        ["no rows"],
    ),
    (
        "header-only.csv",
        "path,note\n",
        ["no rows"],
    ),
    (
        "no-path-column.csv",
        "file,note\nok.txt,a\n",
        ["line 1", "no path column"],
    ),
    (
        "precision.csv",
        f"path,posted_at,posted_at_precision\n{GOOD},2016-03-24T10:00:00Z,day\n",
        ["line 2", "more precise than a day"],
    ),
]


@pytest.mark.parametrize(("name", "content", "needles"), BAD_MANIFESTS, ids=[m[0] for m in BAD_MANIFESTS])
def test_a_bad_row_is_named_by_its_line_and_nothing_is_added(
    sqlite_catalogue: Catalogue, tmp_path: Path, name: str, content: str, needles: list[str]
) -> None:
    cat = sqlite_catalogue
    (tmp_path / GOOD).write_text("a good file\n")
    (tmp_path / "sub").mkdir()
    manifest = tmp_path / name
    manifest.write_text(content)
    line = _one_line(cat.run("add", "--manifest", manifest, "--no-analysis"), name, *needles)
    assert "nothing was added" in line
    _nothing_added(cat)


def test_manifest_goes_alone(sqlite_catalogue: Catalogue, tmp_path: Path) -> None:
    cat = sqlite_catalogue
    (tmp_path / GOOD).write_text("a good file\n")
    manifest = tmp_path / "m.csv"
    manifest.write_text(f"path\n{GOOD}\n")
    _one_line(cat.run("add", "--manifest", manifest, tmp_path / GOOD), "leave out PATH")
    _one_line(cat.run("add", "--manifest", manifest, "--source-url", "https://x.example"), "--source-url")
    _one_line(
        cat.run("add", "--manifest", manifest, "--posted-at", "2016", "--note", "n"), "--posted-at, --note"
    )
    _one_line(cat.run("add"), "PATH", "--manifest FILE")
    _nothing_added(cat)


def test_json_lines_are_recognised_by_their_first_character_and_keep_nested_columns(
    sqlite_catalogue: Catalogue, tmp_path: Path
) -> None:
    cat = sqlite_catalogue
    (tmp_path / "clips").mkdir()
    (tmp_path / "clips" / "a.txt").write_text("one\n")
    manifest = tmp_path / "rows.txt"  # neither .csv nor .jsonl: its `{` says it is JSON lines
    row = {
        "Path": "clips/a.txt",
        "Source URL": "https://t.me/c/1",
        "posted_at": "2016-03-24T12:00+02:00",
        "views": 1200,
        "post": {"id": "1", "tags": ["a", "b"]},
        "empty": "",
    }
    manifest.write_text("\n" + json.dumps(row) + "\n\n")
    (result,) = cat.json("add", "--manifest", manifest, "--no-analysis")["results"]
    (acq,) = cat.json("show", str(result["id"]))["acquisitions"]
    assert acq["source_url"] == "https://t.me/c/1" and acq["posted_at"] == "2016-03-24T10:00:00Z"
    assert acq["manifest"]["line"] == 2
    assert acq["manifest"]["extra"] == {"views": 1200, "post": {"id": "1", "tags": ["a", "b"]}}


# ------------------------------------------------------------------------------ evidence add URL


def test_a_link_given_to_add_is_refused_as_given_and_the_other_paths_are_added(
    sqlite_catalogue: Catalogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cat = sqlite_catalogue
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ok.txt").write_text("a file\n")
    (tmp_path / "http:").mkdir()  # a file whose path reads like a link is still a file
    (tmp_path / "http:" / "example.org").write_text("a file in a folder named http:\n")
    link = "https://t.me/amaq_agency/1234"
    result = cat.run("add", link, "ok.txt", "http://example.org", "--no-analysis")
    assert result.exit_code == 2, result.output
    (refusal,) = [line for line in result.stderr.splitlines() if line.startswith("refused")]
    assert f"refused {link}: " in refusal and f"`evidence capture {link}`" in refusal
    names = sorted(i["original_name"] for i in cat.json("list")["items"])
    assert names == ["example.org", "ok.txt"]
