"""Partners' hash lists as known content: lists exported by one catalogue (`hashes export`) and loaded
into another (`hashes import`) make `add` and `match` there report the frames that match, with the
list's name, the entry's name and the matched time on both sides; a list with a wrong line is refused
whole, naming the line, with nothing kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Catalogue, _initialised
from library import served_pages
from mediagen import make_image, make_video
from PIL import Image


def _known(result: dict[str, object]) -> set[tuple[str, str]]:
    return {(k["list"], k["entry"]) for k in result["known"]}  # type: ignore[index, union-attr]


def test_lists_from_one_catalogue_are_known_content_in_another(
    sqlite_catalogue: Catalogue, tmp_path: Path
) -> None:
    ours = sqlite_catalogue
    photo = make_image(tmp_path / "photo.png", (320, 240), seed=3)
    clip = make_video(tmp_path / "clip.mp4", seconds=3.0, fps=25, scenes=3, seed=7)
    added = ours.json("add", photo, clip)["results"]
    te, vpdq, table = tmp_path / "te.txt", tmp_path / "clip.vpdq", tmp_path / "all.csv"
    ours.ok("hashes", "export", "--format", "threatexchange", "-o", te)
    ours.ok("hashes", "export", "--format", "vpdq", "-o", vpdq)
    ours.ok("hashes", "export", "--format", "csv", "-o", table)

    theirs = _initialised(tmp_path / "partner", "sqlite", None)
    loaded = theirs.json("hashes", "import", te, "--list", "partner images")
    assert (loaded["format"], loaded["entries"], loaded["new_item"]) == ("threatexchange", 1, True)
    theirs.ok("hashes", "import", vpdq, "--list", "partner clips", "--label", "amaq-12.mp4")
    theirs.ok("hashes", "import", table, "--list", "partner table")
    lists = theirs.json("hashes", "lists")["lists"]
    assert [(x["name"], x["format"]) for x in lists] == [
        ("partner images", "threatexchange"),
        ("partner clips", "vpdq"),
        ("partner table", "csv"),
    ]
    assert lists[1]["entries"] == len(vpdq.read_text().splitlines()) >= 3

    # a re-encoded copy of the photo, and the clip itself: both on the lists
    Image.open(photo).convert("RGB").save(tmp_path / "photo-copy.jpg", quality=70)
    results = theirs.json("add", tmp_path / "photo-copy.jpg", clip)["results"]
    assert _known(results[0]) == {("partner images", added[0]["sha256"]), ("partner table", "photo.png")}
    assert _known(results[1]) == {("partner clips", "amaq-12.mp4"), ("partner table", "clip.mp4")}
    on_clip = next(k for k in results[1]["known"] if k["list"] == "partner clips")
    assert on_clip["distance"] <= 31 and on_clip["frames"] >= 3
    assert abs(on_clip["list_time"] - on_clip["time"]) < 0.05  # the same footage lines up in time
    printed = theirs.ok("add", clip).stdout  # already catalogued: still said to be known
    assert "known: on hash list partner clips as amaq-12.mp4" in printed

    matched = json.loads(theirs.ok("match", photo, "--json").stdout)
    assert ("partner images", added[0]["sha256"]) in _known(matched)
    stranger = make_image(tmp_path / "other.png", (320, 240), seed=11)
    assert json.loads(theirs.ok("match", stranger, "--json").stdout)["known"] == []
    assert theirs.json("verify")["ok"] is True


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("", "not a hash list"),
        ("f" * 64 + ",100,a\n" + "f" * 63 + ",100,b\n", "line 2: the hash is not 64 hexadecimal digits"),
        ("f" * 64 + ",101,a\n", "line 1: the quality is not a whole number from 0 to 100"),
        (
            "0,100," + "a" * 64 + ",0.000\n1,100," + "a" * 64 + "\n",
            "line 2: expected `frame,quality,hash,seconds`",
        ),
        ("item,sha256,kind,name,frame,time,quality,pdq\n", "line 2: the list holds no hash"),
    ],
)
def test_a_list_with_a_wrong_line_is_refused_whole(
    sqlite_catalogue: Catalogue, tmp_path: Path, text: str, said: str
) -> None:
    catalogue = sqlite_catalogue
    before = catalogue.json("list")
    path = tmp_path / "list.txt"
    path.write_text(text)
    result = catalogue.run("hashes", "import", path, "--list", "partner")
    assert result.exit_code == 2, result.output
    assert said in result.stderr and "nothing was kept" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert catalogue.json("list") == before and catalogue.json("hashes", "lists")["lists"] == []


def test_names_are_unique_and_bytes_are_refused(sqlite_catalogue: Catalogue, tmp_path: Path) -> None:
    catalogue = sqlite_catalogue
    good = tmp_path / "good.txt"
    good.write_text("ab" * 32 + ",100,their-photo.jpg\n")
    catalogue.ok("hashes", "import", good, "--list", "partner")
    other = tmp_path / "other.txt"
    other.write_text("cd" * 32 + ",100,another.jpg\n")
    again = catalogue.run("hashes", "import", other, "--list", "partner")
    assert again.exit_code == 2 and "is loaded already" in again.stderr
    binary = tmp_path / "list.bin"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    refused = catalogue.run("hashes", "import", binary, "--list", "bytes")
    assert refused.exit_code == 2 and "not UTF-8 text" in refused.stderr
    assert [x["name"] for x in catalogue.json("hashes", "lists")["lists"]] == ["partner"]


def test_an_entry_is_known_within_31_bits_and_only_with_quality(
    sqlite_catalogue: Catalogue, tmp_path: Path
) -> None:
    """Meta's PDQ rule: within 31 bits of 256 is the same picture, and a hash of quality under 50 says
    too little to match on."""
    catalogue = sqlite_catalogue
    photo = make_image(tmp_path / "photo.png", (320, 240), seed=5)
    catalogue.ok("add", photo)
    [(pdq, _, _)] = [
        line.split(",", 2)
        for line in catalogue.ok("hashes", "export", "-f", "threatexchange").stdout.splitlines()
    ]

    def flipped(bits: int) -> str:
        return f"{int(pdq, 16) ^ ((1 << bits) - 1):064x}"  # the lowest `bits` bits turned over

    listed = tmp_path / "partner.txt"
    listed.write_text(
        f"{flipped(31)},100,at-31-bits\n{flipped(32)},100,at-32-bits\n{pdq},49,low-quality\n{pdq},50,just-enough\n"
    )
    catalogue.ok("hashes", "import", listed, "--list", "partner")
    known = json.loads(catalogue.ok("match", photo, "--json").stdout)["known"]
    assert sorted((k["entry"], k["distance"]) for k in known) == [("at-31-bits", 31), ("just-enough", 0)]


def test_provenance_report_and_item_page_say_which_copy_is_on_a_list(
    catalogue: Catalogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Footage catalogued before the list arrived: `add` could not say so, its provenance does."""
    clip = make_video(tmp_path / "clip.mp4", seconds=3.0, fps=25, scenes=3, seed=17)
    catalogue.ok("add", clip)
    listed = tmp_path / "theirs.vpdq"
    catalogue.ok("hashes", "export", "1", "--format", "vpdq", "-o", listed)
    hostile = "<script>alert(1)</script>.mp4"
    catalogue.ok("hashes", "import", listed, "--list", "partner <b>clips</b>", "--label", hostile)
    other = make_image(tmp_path / "other.png", (320, 240), seed=11)
    catalogue.ok("add", other)

    doc = catalogue.json("provenance", "1")
    assert [(k["item"]["id"], k["list"], k["entry"]) for k in doc["known"]] == [
        (1, "partner <b>clips</b>", hostile)
    ]
    assert (
        doc["known"][0]["frames"] >= 3 and abs(doc["known"][0]["list_time"] - doc["known"][0]["time"]) < 0.05
    )
    assert catalogue.json("provenance", "3")["known"] == []
    text = catalogue.ok("provenance", "1").stdout
    assert f"known: copy #1 is on hash list partner <b>clips</b> as {hostile}" in text

    report = tmp_path / "report.html"
    catalogue.ok("report", "1", "-o", report)
    html = report.read_text()
    assert "is on the list partner &lt;b&gt;clips&lt;/b&gt; as &lt;script&gt;" in html
    assert "<script>alert" not in html

    page, stranger = served_pages(catalogue, monkeypatch, "/items/1", "/items/3")
    assert "On a partner's hash list" in page and "&lt;script&gt;alert(1)&lt;/script&gt;.mp4" in page
    assert "<script>alert" not in page and "hash list" not in stranger
