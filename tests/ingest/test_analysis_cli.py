"""Analysis through the command line: frames, keyframes, thumbnails, sheets, quick mode, isolation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SHARED_MEDIA, Catalogue
from mediagen import make_audio, make_video, scene_starts, truncate
from PIL import Image

FPS = 30


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """6 s at 30 fps with hard cuts at frames 60 and 120."""
    return make_video(tmp_path_factory.mktemp("clip") / "claimed.mp4", seconds=6, fps=FPS, scenes=3, seed=3)


def test_video_gets_sampled_frames_keyframes_and_thumbnails(sqlite_catalogue: Catalogue, clip: Path) -> None:
    cat = sqlite_catalogue
    entry = cat.json("add", clip)["results"][0]
    assert entry["analysis"] == "ok" and entry["kind"] == "video"
    doc = cat.json("frames", str(entry["id"]))
    frames = doc["frames"]
    sampled = [f for f in frames if f["sampled"]]
    assert [round(f["time"], 3) for f in sampled] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    for f in sampled:
        canonical = [h for h in f["fingerprints"] if h["variant"] == "canonical"]
        assert len(canonical) == 1 and canonical[0]["hash"].startswith("pdq.v1:")
    cuts = [f["index"] for f in frames if f["keyframe"] == "scene-cut"]
    expected = scene_starts(6 * FPS, 3)[1:]
    assert len(cuts) == len(expected)
    assert all(abs(c - e) <= 1 for c, e in zip(cuts, expected, strict=True))
    assert frames[0]["keyframe"] == "first"
    for f in frames:
        if f["keyframe"]:
            thumb = cat.root / "store" / "derived" / f["thumbnail"][:2] / f["thumbnail"][2:4] / f["thumbnail"]
            with Image.open(thumb) as img:
                assert img.format == "JPEG" and img.width <= 320
    summary = cat.json("show", str(entry["id"]))["summary"]
    assert summary["mode"] == "full" and summary["width"] == 320 and summary["height"] == 240
    assert summary["sampled"] == 6 and summary["keyframes"] == len(cuts) + 1 and summary["border"] is None
    human = cat.ok("frames", str(entry["id"]), "--keyframes").stdout
    assert "scene-cut" in human and "00:00:02.000" in human
    assert "Analysis" in cat.ok("show", str(entry["id"])).stdout


def test_contact_sheet_is_written_and_logged(sqlite_catalogue: Catalogue, clip: Path, tmp_path: Path) -> None:
    cat = sqlite_catalogue
    entry = cat.json("add", clip)["results"][0]
    out = tmp_path / "sheet.jpg"
    doc = cat.json("sheet", str(entry["id"]), "-o", out, "--columns", "2")
    assert doc["keyframes"] == 3
    with Image.open(out) as img:
        assert img.format == "JPEG"
        assert img.width == 2 * 320 + 3 * 6  # two columns with gaps
    events = cat.json("show", str(entry["id"]))["events"]
    assert events[-1]["action"] == "export" and events[-1]["details"]["sha256"] == doc["sha256"]
    png = tmp_path / "sheet.png"  # the format follows the name: PNG bytes in a .png
    cat.ok("sheet", str(entry["id"]), "-o", png)
    with Image.open(png) as img:
        assert img.format == "PNG" and img.width == 3 * 320 + 4 * 6  # three keyframes, one row
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    inside = cat.run("sheet", str(entry["id"]), "-o", cat.root / "x.jpg")
    assert inside.exit_code == 2 and "inside the catalogue" in inside.stderr


def test_sheet_of_an_item_without_keyframes_is_refused(sqlite_catalogue: Catalogue, tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text("no pictures here")
    entry = sqlite_catalogue.json("add", note)["results"][0]
    result = sqlite_catalogue.run("sheet", str(entry["id"]), "-o", tmp_path / "s.jpg")
    assert result.exit_code == 2 and "no keyframes" in result.stderr
    assert not (tmp_path / "s.jpg").exists()


def test_quick_mode_marks_for_full_analysis_later(sqlite_catalogue: Catalogue, clip: Path) -> None:
    cat = sqlite_catalogue
    entry = cat.json("add", clip, "--quick")["results"][0]
    assert entry["analysis"] == "pending"
    quick = cat.json("frames", str(entry["id"]))
    assert quick["summary"]["mode"] == "quick" and quick["frames"]
    result = cat.run("analyze", "--pending", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["results"][0]["analysis"] == "ok"
    full = cat.json("frames", str(entry["id"]))
    assert full["summary"]["mode"] == "full"
    assert sum(f["sampled"] for f in full["frames"]) == 6
    again = cat.json("analyze", str(entry["id"]))  # idempotent: same frames, no duplicates
    assert again["results"][0]["analysis"] == "ok"
    assert cat.json("frames", str(entry["id"]))["frames"] == full["frames"]


@pytest.mark.skipif(
    not (SHARED_MEDIA / "pdq" / "bridge-mods" / "aaa-orig.jpg").is_file(),
    reason=f"shared PDQ images not found at {SHARED_MEDIA / 'pdq'} (the 'shared' folder beside the repo)",
)
def test_image_gets_canonical_and_dihedral_hashes(sqlite_catalogue: Catalogue, tmp_path: Path) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes((SHARED_MEDIA / "pdq" / "bridge-mods" / "aaa-orig.jpg").read_bytes())
    entry = sqlite_catalogue.json("add", photo)["results"][0]
    assert entry["analysis"] == "ok"
    [frame] = sqlite_catalogue.json("frames", str(entry["id"]))["frames"]
    variants = {h["variant"]: h["hash"] for h in frame["fingerprints"]}
    assert variants["canonical"] == "pdq.v1:f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
    assert {"rotate90", "rotate180", "rotate270", "flipx", "flipy", "flipplus1", "flipminus1"} <= set(
        variants
    )


def test_truncated_clip_and_audio_only_are_preserved_with_failed_analysis(
    sqlite_catalogue: Catalogue, clip: Path, tmp_path: Path
) -> None:
    cut = truncate(clip, tmp_path / "cut.mp4", 0.3)
    audio = make_audio(tmp_path / "voice.mp4", seconds=1.0)
    for path in (cut, audio):
        result = sqlite_catalogue.run("add", path, "--json")
        assert result.exit_code == 3, result.output
        entry = json.loads(result.stdout)["results"][0]
        assert entry["status"] == "added" and entry["analysis"].startswith("failed:")
        assert "Traceback" not in result.output
    assert sqlite_catalogue.json("verify")["ok"] is True


def test_a_hanging_analysis_is_killed_at_its_limit(sqlite_catalogue: Catalogue, clip: Path) -> None:
    env = {
        "EVIDENCE_TEST_HANG_AT": "media",
        "EVIDENCE_ANALYSIS_TIMEOUT": "1",
        "EVIDENCE_ANALYSIS_TIMEOUT_FACTOR": "0",
    }
    result = sqlite_catalogue.run("add", clip, "--json", env=env)
    assert result.exit_code == 3, result.output
    entry = json.loads(result.stdout)["results"][0]
    assert entry["status"] == "added"
    assert entry["analysis"].startswith("failed:timed out")


def test_a_crashing_analysis_fails_only_the_analysis(sqlite_catalogue: Catalogue, clip: Path) -> None:
    result = sqlite_catalogue.run("add", clip, "--json", env={"EVIDENCE_TEST_CRASH_AT": "media"})
    assert result.exit_code == 3, result.output
    entry = json.loads(result.stdout)["results"][0]
    assert entry["status"] == "added" and "crashed" in entry["analysis"]
    assert sqlite_catalogue.json("analyze", str(entry["id"]))["results"][0]["analysis"] == "ok"


def _decoded(path: Path) -> list[tuple[float, object]]:
    """Every frame of a video as PyAV decodes it from the start: (time, RGB array)."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        start = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
        return [
            (float(f.pts * f.time_base) - start, f.to_ndarray(format="rgb24"))
            for f in container.decode(stream)
        ]


def test_a_frame_is_written_exactly_as_decoded_with_its_number_and_time(
    sqlite_catalogue: Catalogue, clip: Path, tmp_path: Path
) -> None:
    import numpy as np

    cat = sqlite_catalogue
    entry = cat.json("add", clip)["results"][0]
    ref = str(entry["id"])
    decoded = _decoded(clip)
    # between stored frames (12.4 s style: the analyst's own moment), on one, at the start, past the end
    for at, index in [("2.51", 75), ("0:02.0", 60), ("0", 0), ("1.999", 59), ("99", len(decoded) - 1)]:
        out = tmp_path / f"frame-{at.replace(':', '_')}.png"
        doc = cat.json("frame", ref, "--at", at, "-o", out)
        assert doc["frame"]["index"] == index, (at, doc)
        assert abs(doc["frame"]["time"] - decoded[index][0]) < 1e-6
        with Image.open(out) as img:
            assert img.format == "PNG" and img.size == (320, 240)
            assert np.array_equal(np.asarray(img.convert("RGB")), decoded[index][1]), at  # bit for bit
        sidecar = json.loads(out.with_name(out.name + ".json").read_text())
        assert sidecar["item"] == {"id": entry["id"], "sha256": entry["sha256"]}
        assert sidecar["frame"] == doc["frame"] and sidecar["png"]["sha256"] == doc["png"]["sha256"]
    events = cat.json("show", ref)["events"]
    assert [e["details"].get("format") for e in events if e["action"] == "export"] == ["frame"] * 5
    before = len(events)
    for args, says in [
        (["--at", "1", "-o", tmp_path / "f.jpg"], "PNG"),
        (["--at", "soon", "-o", tmp_path / "g.png"], "--at"),
        (["--at", "1", "-o", cat.root / "inside.png"], "inside the catalogue"),
    ]:
        refused = cat.run("frame", ref, *args)
        assert refused.exit_code == 2 and says in refused.stderr, refused.output
    assert len(cat.json("show", ref)["events"]) == before


def test_a_long_single_shot_gets_a_keyframe_every_ten_seconds(
    sqlite_catalogue: Catalogue, tmp_path: Path
) -> None:
    """A 60 s clip with no cut still gives a contact sheet of six pictures (it used to give two), and
    the sheet shows them all."""
    clip = make_video(tmp_path / "one-shot.mp4", seconds=60, fps=10, size=(160, 120), scenes=1, seed=4)
    cat = sqlite_catalogue
    entry = cat.json("add", clip)["results"][0]
    keyframes = cat.json("frames", str(entry["id"]), "--keyframes")["frames"]
    assert [round(f["time"]) for f in keyframes] == [0, 10, 20, 30, 40, 50]
    assert [f["keyframe"] for f in keyframes] == ["first"] + ["static"] * 5
    assert cat.json("sheet", str(entry["id"]), "-o", tmp_path / "sheet.png")["keyframes"] == 6
