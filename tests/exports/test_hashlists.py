"""`evidence hashes export`: the catalogue's PDQ hashes as hash lists another organisation's tools read.
The published PDQ reference images, added to a catalogue, come out in the ThreatExchange tools' format
(`hash,quality,filename`, as `pdq-photo-hasher` prints) as hashes those tools call matches of the
reference hashes; a video comes out as a vPDQ hash file (`frame,quality,hash,seconds`) holding its
stored frames' hashes; the CSV is safe in a spreadsheet; every export is logged."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import Catalogue
from mediagen import make_image, make_video
from PIL import Image

from evidence.media.pdq import pdq_from_rgb

SHARED = (Path(__file__).resolve().parents[2] / ".." / "shared" / "media" / "pdq").resolve()
needs_shared = pytest.mark.skipif(
    not (SHARED / "expected.json").is_file(), reason=f"shared PDQ reference images not found at {SHARED}"
)
MATCH = 31  # the PDQ match threshold of Meta's tools
HEX64 = re.compile(r"[0-9a-f]{64}")


def _distance(a: str, b: str) -> int:
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def _read_threatexchange(text: str) -> list[tuple[str, int, str]]:
    """Lines as Meta's tools write and read them: hash, quality, file name."""
    out = []
    for line in text.splitlines():
        pdq, quality, name = line.split(",", 2)
        assert HEX64.fullmatch(pdq), line
        out.append((pdq, int(quality), name))
    return out


def _read_vpdq(text: str) -> list[tuple[int, int, str, float]]:
    """A vPDQ hash file as its loader reads it: exactly four comma-separated fields a line."""
    out = []
    for line in text.splitlines():
        fields = line.split(",")
        assert len(fields) == 4 and HEX64.fullmatch(fields[2]), line
        assert re.fullmatch(r"\d+\.\d{3}", fields[3]), line  # seconds with three decimals, as vPDQ writes
        out.append((int(fields[0]), int(fields[1]), fields[2], float(fields[3])))
    return out


@needs_shared
def test_the_reference_images_export_as_matches_of_the_published_hashes(
    sqlite_catalogue: Catalogue, tmp_path: Path
) -> None:
    catalogue = sqlite_catalogue
    expected = json.loads((SHARED / "expected.json").read_text())["images"]
    added = catalogue.json("add", *(SHARED / name for name in expected))
    sha_of = {Path(r["path"]).resolve(): r["sha256"] for r in added["results"]}
    out = tmp_path / "list.txt"
    catalogue.ok("hashes", "export", "--format", "threatexchange", "-o", out)
    listed = {name: (pdq, quality) for pdq, quality, name in _read_threatexchange(out.read_text())}
    for name, ref in expected.items():
        pdq, quality = listed[sha_of[(SHARED / name).resolve()]]
        assert _distance(pdq, ref["pdq"]) <= MATCH, name
        assert abs(quality - ref["quality"]) <= 1, name
    exact = [n for n, ref in expected.items() if listed[sha_of[(SHARED / n).resolve()]][0] == ref["pdq"]]
    assert len(exact) >= len(expected) - 2  # measured: every one is exact; a rounding flip may move a bit


def test_a_video_exports_as_a_vpdq_file_of_its_stored_frame_hashes(
    sqlite_catalogue: Catalogue, tmp_path: Path
) -> None:
    catalogue = sqlite_catalogue
    clip = make_video(tmp_path / "clip.mp4", seconds=3.0, fps=25, scenes=3, seed=4)
    other = make_video(tmp_path / "other.mp4", seconds=2.0, fps=25, scenes=2, seed=9)
    picture = make_image(tmp_path / "still.png", (160, 120))
    added = catalogue.json("add", clip, other, picture)["results"]
    first = added[0]
    text = catalogue.run("hashes", "export", first["sha256"][:12], "--format", "vpdq")
    assert text.exit_code == 0, text.output
    lines = _read_vpdq(text.stdout)
    frames = catalogue.json("frames", first["sha256"][:12])
    stored = {f["index"]: f for f in frames["frames"]}
    assert len(lines) == len(stored) >= 3
    times = [t for _, _, _, t in lines]
    assert times == sorted(times) and times[-1] <= 3.0
    for frame, quality, pdq, t in lines:
        assert abs(stored[frame]["time"] - t) < 0.001
        whole = {h["hash"] for h in stored[frame]["fingerprints"] if h["variant"] in ("canonical", "raw")}
        assert f"pdq.v1:{pdq}" in whole
        assert 0 <= quality <= 100

    refused = catalogue.run("hashes", "export", "--format", "vpdq")  # two videos, no folder
    assert refused.exit_code == 2 and "give -o FOLDER" in refused.stderr
    inside = catalogue.run("hashes", "export", "--format", "vpdq", "-o", catalogue.root / "vpdq")
    assert inside.exit_code == 2 and "refusing to write inside the catalogue" in inside.stderr
    assert not (catalogue.root / "vpdq").exists()  # not even an empty folder was made there
    folder = tmp_path / "vpdq"
    catalogue.ok("hashes", "export", "--format", "vpdq", "-o", folder)
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{r['sha256']}.txt" for r in added[:2])
    assert _read_vpdq((folder / f"{first['sha256']}.txt").read_text()) == lines
    images = _read_threatexchange(catalogue.ok("hashes", "export", "--format", "threatexchange").stdout)
    assert [name for _, _, name in images] == [added[2]["sha256"]]  # images only: videos go as vPDQ


def test_the_csv_is_safe_and_every_export_is_logged(sqlite_catalogue: Catalogue, tmp_path: Path) -> None:
    catalogue = sqlite_catalogue
    hostile = make_image(tmp_path / "=HYPERLINK(1).png", (96, 64))
    catalogue.ok("add", hostile)
    text = catalogue.ok("hashes", "export", "--format", "csv").stdout
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["name"] == "'=HYPERLINK(1).png" and row["kind"] == "image" and HEX64.fullmatch(row["pdq"])
    events = json.loads(catalogue.ok("export").stdout)["events"]
    logged = [e for e in events if e["action"] == "export" and e["details"]["format"] == "hashes-csv"]
    assert len(logged) == 1 and logged[0]["details"]["item_count"] == 1
    inside = catalogue.run("hashes", "export", "--format", "csv", "-o", catalogue.root / "list.csv")
    assert inside.exit_code == 2 and "refusing to write inside the catalogue" in inside.stderr
    assert not (catalogue.root / "list.csv").exists()
    nothing = catalogue.run("hashes", "export", "--format", "vpdq")
    assert nothing.exit_code == 2 and "no video with a PDQ hash" in nothing.stderr
    assert catalogue.json("verify")["ok"] is True


def test_a_picture_with_a_border_exports_the_hash_of_the_whole_file(
    sqlite_catalogue: Catalogue, tmp_path: Path
) -> None:
    """Analysis matches on the picture inside a letterbox (the canonical hash); a partner's tool hashes
    the whole file, so the list carries the hash of the uncropped picture (the raw one)."""
    catalogue = sqlite_catalogue
    rng = np.random.default_rng(5)
    inner = (rng.random((90, 160, 3)) * 255).astype(np.uint8)
    boxed = np.zeros((240, 160, 3), dtype=np.uint8)
    boxed[75:165] = inner
    path = tmp_path / "letterboxed.png"
    Image.fromarray(boxed).save(path)
    [added] = catalogue.json("add", path)["results"]
    [frame] = catalogue.json("frames", added["sha256"][:12])["frames"]
    variants = {h["variant"]: h["hash"].split(":")[1] for h in frame["fingerprints"]}
    assert variants["raw"] != variants["canonical"]  # analysis did take the border off
    [(pdq, _, _)] = _read_threatexchange(
        catalogue.ok("hashes", "export", "--format", "threatexchange").stdout
    )
    whole, _quality = pdq_from_rgb(boxed)
    assert pdq == variants["raw"] and _distance(pdq, whole.hex()) <= 2
