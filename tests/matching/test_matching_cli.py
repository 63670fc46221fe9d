"""Near-duplicate matching end to end: copies found with the right kind, distractors never, decisions kept."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import Catalogue
from footage import (
    brighter,
    daylight,
    edited,
    filmed_screen,
    grey,
    letterbox,
    logo,
    mirror,
    needs_photos,
    pan_frames,
    photo,
    resize,
    trim,
    write_clip,
)
from mediagen import make_video
from PIL import Image

FPS = 30
SECONDS = 12


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("footage")
    source = list(pan_frames(photo(0), SECONDS, FPS, seed=1))
    other = list(pan_frames(photo(1), SECONDS, FPS, seed=2))
    third = list(pan_frames(photo(3), SECONDS, FPS, seed=3))
    intro = list(pan_frames(photo(2), 3, FPS, seed=4))
    clips = {
        "source": write_clip(folder / "source.mp4", source),
        "other": write_clip(folder / "other.mp4", other),
        "third": write_clip(folder / "third.mp4", third),
        "reencoded": write_clip(folder / "reencoded.mp4", edited(source, resize(160, 120)), crf=38),
        "letterboxed": write_clip(folder / "letterboxed.mp4", edited(source, letterbox(30))),
        "mirrored": write_clip(folder / "mirrored.mp4", edited(source, mirror)),
        "logo": write_clip(folder / "logo.mp4", edited(source, logo(0.06))),
        "large-logo": write_clip(folder / "large-logo.mp4", edited(source, logo(0.3))),
        "grey": write_clip(folder / "grey.mp4", edited(source, grey, brighter(25))),
        "excerpt": write_clip(folder / "excerpt.mp4", trim(source, 95, 245)),
        "intro": write_clip(folder / "intro.mp4", intro + source),
        "compilation": write_clip(folder / "compilation.mp4", source[60:180] + other[200:320]),
        # 4 s of one clip, the excerpt's 5 s of the source, 5 s of another
        "holds-excerpt": write_clip(folder / "holds-excerpt.mp4", other[:120] + source[95:245] + third[:150]),
    }
    # a still 0.1 s after a stored frame (the index keeps one per second), turned on its side
    still = folder / "still.jpg"
    Image.fromarray(source[183]).rotate(90, expand=True).save(still, quality=85)
    clips["still"] = still
    return clips


COPIES = {
    "reencoded": "duplicate",
    "letterboxed": "duplicate",
    "mirrored": "duplicate",
    "logo": "duplicate",
    "large-logo": "duplicate",
    "grey": "duplicate",
    "excerpt": "excerpt-of",
    "intro": "contains",
    "still": "excerpt-of",
}


def _add(cat: Catalogue, path: Path) -> dict[str, object]:
    result = cat.run("add", path, "--json")
    assert result.exit_code == 0, result.output
    entry: dict[str, object] = json.loads(result.stdout)["results"][0]
    return entry


def _kinds(entry: dict[str, object]) -> dict[int, str]:
    """What `add` found the file to be to each item it matched, by item id."""
    return {m["id"]: m["classification"] for m in entry["near_duplicates"]}  # type: ignore[attr-defined]


def test_copies_are_found_and_distractors_are_not(
    sqlite_catalogue: Catalogue, media: dict[str, Path]
) -> None:
    cat = sqlite_catalogue
    source = _add(cat, media["source"])
    for name in ("other", "third"):
        assert _add(cat, media[name])["near_duplicates"] == [], name
    for name, kind in COPIES.items():
        entry = _add(cat, media[name])
        found = {m["id"]: m for m in entry["near_duplicates"]}  # type: ignore[union-attr]
        assert source["id"] in found, f"{name}: {entry['near_duplicates']}"
        assert found[source["id"]]["classification"] == kind, (name, found[source["id"]])
    excerpt = next(m for m in cat.json("show", str(source["id"]))["relations"] if m["kind"] == "contains")
    assert excerpt["status"] == "suggested"
    clusters = cat.json("dupes")["clusters"]
    assert len(clusters) == 1
    assert clusters[0][0]["id"] == source["id"]  # earliest catalogued first
    ids = {m["id"] for m in clusters[0]}
    assert len(ids) == 1 + len(COPIES)


@needs_photos()
def test_match_reports_offsets_and_segments_without_adding(
    sqlite_catalogue: Catalogue, media: dict[str, Path]
) -> None:
    cat = sqlite_catalogue
    source = _add(cat, media["source"])
    other = _add(cat, media["other"])
    before = cat.json("list")["items"]
    doc = cat.json("match", media["excerpt"])
    [m] = doc["matches"]
    assert m["id"] == source["id"] and m["classification"] == "excerpt-of"
    assert m["offsets"][0] == pytest.approx(95 / FPS, abs=0.1)
    comp = {m["id"]: m for m in cat.json("match", media["compilation"])["matches"]}
    assert comp[source["id"]]["classification"] == "partial"
    assert comp[source["id"]]["offsets"][0] == pytest.approx(60 / FPS, abs=0.1)
    assert comp[other["id"]]["classification"] == "partial"
    assert comp[other["id"]]["offsets"][0] == pytest.approx(200 / FPS - 4, abs=0.1)
    assert cat.json("list")["items"] == before  # nothing was written
    exact = cat.json("match", media["source"])
    assert exact["exact"]["id"] == source["id"]
    [still] = cat.json("match", media["still"])["matches"]
    assert still["id"] == source["id"] and still["classification"] == "excerpt-of"
    assert still["offsets"][0] == pytest.approx(183 / FPS, abs=0.04)


@needs_photos()
def test_a_still_is_timed_at_its_own_frame_when_a_stored_frame_next_to_it_matches_too(
    sqlite_catalogue: Catalogue, tmp_path: Path
) -> None:
    """The index holds a frame a second; a still taken a frame after one of them matches that stored
    frame within the threshold, and is still timed at the frame it was taken from."""
    from evidence.core import hamming
    from evidence.media.pdq import pdq_from_rgb

    cat = sqlite_catalogue
    frames = list(pan_frames(photo(0), 6, FPS, seed=1))
    source = _add(cat, write_clip(tmp_path / "source.mp4", frames))
    stored = [f for f in cat.json("frames", str(source["id"]))["frames"] if f["sampled"] and f["time"] >= 3]
    index = stored[0]["index"] + 1  # the next frame of the stream, between two stored ones
    Image.fromarray(frames[index]).save(tmp_path / "still.png")
    near = stored[0]["fingerprints"][0]["hash"].removeprefix("pdq.v1:")
    taken = pdq_from_rgb(frames[index])[0].hex()
    packed = hamming.pack([near, taken])
    assert hamming.distances(packed[0], packed[1:])[0] <= 31  # the stored frame matches it too
    [still] = cat.json("match", tmp_path / "still.png")["matches"]
    assert still["id"] == source["id"] and still["classification"] == "excerpt-of"
    assert still["offsets"][0] == pytest.approx(index / FPS, abs=0.01)


@needs_photos()
def test_a_compilation_is_partial_and_joins_no_cluster(
    sqlite_catalogue: Catalogue, media: dict[str, Path]
) -> None:
    cat = sqlite_catalogue
    _add(cat, media["source"])
    _add(cat, media["other"])
    entry = _add(cat, media["compilation"])
    kinds = sorted(m["classification"] for m in entry["near_duplicates"])  # type: ignore[union-attr]
    assert kinds == ["partial", "partial"]
    assert cat.json("dupes")["clusters"] == []


@needs_photos()
def test_a_compilation_holding_all_of_an_excerpt_joins_no_cluster_through_it(
    sqlite_catalogue: Catalogue, media: dict[str, Path]
) -> None:
    cat = sqlite_catalogue
    source = _add(cat, media["source"])
    copy = _add(cat, media["reencoded"])
    excerpt = _add(cat, media["excerpt"])
    entry = _add(cat, media["holds-excerpt"])
    kinds = _kinds(entry)
    # it holds all of the excerpt, and 5 of the source's 12 s
    assert kinds[excerpt["id"]] == "contains" and kinds[source["id"]] == "partial", kinds
    [cluster] = cat.json("dupes")["clusters"]
    assert {m["id"] for m in cluster} == {source["id"], copy["id"], excerpt["id"]}
    copies = {c["id"]: c["partial"] for c in cat.json("provenance", str(source["id"]))["copies"]}
    assert copies == {copy["id"]: False, excerpt["id"]: False, entry["id"]: True}
    # from the compilation's side: no copies, its neighbours listed as such
    own = {c["id"]: c["partial"] for c in cat.json("provenance", str(entry["id"]))["copies"]}
    assert own and all(own.values()), own


def test_analyst_decisions_are_kept_and_logged(sqlite_catalogue: Catalogue, media: dict[str, Path]) -> None:
    cat = sqlite_catalogue
    source = _add(cat, media["source"])
    copy = _add(cat, media["reencoded"])
    other = _add(cat, media["other"])
    result = cat.run("relate", str(source["id"]), str(copy["id"]), "--reject", "--note", "different event")
    assert result.exit_code == 0, result.output
    assert cat.json("dupes")["clusters"] == []
    # re-analysis never suggests a rejected pair again
    cat.ok("analyze", str(copy["id"]))
    rels = cat.json("show", str(copy["id"]))["relations"]
    assert [(r["status"], r["note"]) for r in rels] == [("rejected", "different event")]
    confirmed = cat.run("relate", str(source["id"]), str(other["id"]), "--confirm", "--as", "duplicate")
    assert confirmed.exit_code == 0, confirmed.output
    shown = cat.json("show", str(source["id"]))
    assert [r["status"] for r in shown["relations"]] == ["confirmed", "rejected"]
    assert {e["action"] for e in shown["events"]} >= {"reject-relation", "confirm-relation"}
    assert cat.run("relate", str(source["id"]), str(copy["id"])).exit_code == 2
    assert (
        cat.run("relate", str(source["id"]), str(source["id"]), "--confirm", "--as", "duplicate").exit_code
        == 2
    )
    assert cat.json("verify")["ok"] is True


def test_matching_on_each_backend(catalogue: Catalogue, media: dict[str, Path]) -> None:
    """The same lookups through the band index on SQLite and PostgreSQL."""
    source = _add(catalogue, media["source"])
    assert _add(catalogue, media["other"])["near_duplicates"] == []
    copy = _add(catalogue, media["mirrored"])
    [found] = copy["near_duplicates"]  # type: ignore[misc]
    assert found["id"] == source["id"] and found["classification"] == "duplicate"
    assert "mirror" in found["via"] and "canonical" not in found["via"]  # PDQ found it by its mirror image
    assert [[m["id"] for m in c] for c in catalogue.json("dupes")["clusters"]] == [[source["id"], copy["id"]]]
    result = catalogue.run("db", "reindex")
    assert result.exit_code == 0, result.output
    again = {m["id"]: m for m in catalogue.json("match", media["excerpt"])["matches"]}
    assert set(again) == {source["id"], copy["id"]}  # the source, and the mirrored copy via its mirror
    assert {m["classification"] for m in again.values()} == {"excerpt-of"}


def test_turned_and_mirrored_photos_match_and_unrelated_ones_do_not(
    sqlite_catalogue: Catalogue, tmp_path: Path
) -> None:
    from conftest import SHARED_MEDIA

    dih = SHARED_MEDIA / "pdq" / "dih"
    if not dih.is_dir():
        pytest.skip(f"shared test images not found at {dih}")
    original = _add(sqlite_catalogue, dih / "bridge-1-original.jpg")
    unrelated = _add(sqlite_catalogue, SHARED_MEDIA / "pdq" / "pen-and-coaster.png")
    assert unrelated["near_duplicates"] == []
    added = [original["id"]]
    for name in ("bridge-2-rotate-90.jpg", "bridge-6-flipy.jpg", "bridge-8-flip-minus-1.jpg"):
        entry = _add(sqlite_catalogue, dih / name)
        found = {m["id"]: m for m in entry["near_duplicates"]}  # type: ignore[union-attr]
        assert set(found) == set(added), name  # the original and the copies before it
        assert {m["classification"] for m in found.values()} == {"duplicate"}, name
        assert found[original["id"]]["via"] != ["canonical"], name  # through a turned or mirrored hash
        added.append(entry["id"])  # type: ignore[arg-type]
    assert len(sqlite_catalogue.json("dupes")["clusters"]) == 1


def test_add_names_the_copies_it_found_in_its_human_output(catalogue: Catalogue, tmp_path: Path) -> None:
    source = make_video(tmp_path / "source.mp4", seconds=3.0, scenes=3, seed=21)
    copy = make_video(tmp_path / "copy.webm", seconds=3.0, scenes=3, seed=21, codec="libvpx-vp9")
    unrelated = make_video(tmp_path / "other.mp4", seconds=3.0, scenes=3, seed=5)
    first = catalogue.json("add", source)["results"][0]
    plain = catalogue.ok("add", unrelated)
    assert " of #" not in plain.stdout and "with copies" not in plain.stderr
    found = catalogue.ok("add", copy)
    lines = found.stdout.splitlines()
    assert lines[0].startswith("added") and lines[0].endswith("copy.webm")
    assert f"duplicate of #{first['id']} {first['sha256'][:12]}  score" in lines[1]
    assert "1 added, 0 duplicate, 0 refused, 1 with copies already catalogued" in found.stderr


def _tripod_shot(seconds: float, start: float = 0.0) -> list[np.ndarray]:
    """A still view with a small figure walking across it and sensor noise (a tripod shot)."""
    view = cv2.resize(photo(0)[100:460, 100:740], (320, 180))
    frames = []
    for i in range(int(start * FPS), int((start + seconds) * FPS)):
        frame = view.astype(np.int16)
        x = 20 + (i * 2) % 260
        frame[120:150, x : x + 10] = (200, 40, 40)
        noise = np.random.default_rng(i).normal(0, 3, frame.shape)
        frames.append(np.clip(frame + noise, 0, 255).astype(np.uint8))
    return frames


@needs_photos()
def test_a_compilation_with_two_seconds_of_a_still_scene_joins_no_cluster_of_a_longer_clip(
    sqlite_catalogue: Catalogue, tmp_path: Path
) -> None:
    # the 2 s piece shows seconds 1-3 of the shot; the excerpt is seconds 4-7: all but the walker's
    # place is the same picture, but 2 s cannot hold all 3 s of the excerpt
    cat = sqlite_catalogue
    source = _add(cat, write_clip(tmp_path / "shot.mp4", _tripod_shot(10)))
    excerpt = _add(cat, write_clip(tmp_path / "excerpt.mp4", _tripod_shot(3, start=4)))
    pieces = [
        *pan_frames(photo(1), 2, FPS, size=(320, 180), seed=1),
        *_tripod_shot(2, start=1),
        *pan_frames(photo(2), 2, FPS, size=(320, 180), seed=2),
        *pan_frames(photo(3), 2, FPS, size=(320, 180), seed=3),
    ]
    compilation = _add(cat, write_clip(tmp_path / "compilation.mp4", pieces))
    kinds = _kinds(compilation)
    assert kinds.get(excerpt["id"]) in (None, "partial") and kinds.get(source["id"]) in (None, "partial")
    [cluster] = cat.json("dupes")["clusters"]
    assert {member["id"] for member in cluster} == {source["id"], excerpt["id"]}


def _held(view: np.ndarray, seconds: float) -> list[np.ndarray]:
    """A picture that stays up (a slide, a page) with the noise of a screen capture: nothing moves."""
    return [
        np.clip(view + np.random.default_rng(i).normal(0, 1, view.shape), 0, 255).astype(np.uint8)
        for i in range(int(seconds * FPS))
    ]


def _slide(n: int, seconds: float) -> list[np.ndarray]:
    """A slide: a photo's middle."""
    return _held(cv2.resize(photo(n)[100:460, 100:740], (320, 180)), seconds)


@needs_photos()
def test_a_piece_of_a_slide_says_every_offset_it_fits(sqlite_catalogue: Catalogue, tmp_path: Path) -> None:
    # the deck shows slide 0 for 6 s, then slide 1 for 4 s; the compilation shows 2 s from the middle of
    # slide 0 (seconds 2-4) between unrelated footage: the pictures cannot say where in those 6 s
    cat = sqlite_catalogue
    deck = _add(cat, write_clip(tmp_path / "deck.mp4", _slide(0, 6) + _slide(1, 4)))
    pieces = [
        *pan_frames(photo(2), 2, FPS, size=(320, 180), seed=2),
        *_slide(0, 2),
        *pan_frames(photo(3), 3, FPS, size=(320, 180), seed=3),
    ]
    compilation = write_clip(tmp_path / "compilation.mp4", pieces)
    result = cat.run("match", compilation, "--json")
    assert result.exit_code == 0, result.output
    [found] = [m for m in json.loads(result.stdout)["matches"] if m["id"] == deck["id"]]
    ranges = [s["offset_range"] for s in found["segments"] if s["offset_range"]]
    # the piece starts at 2 s of the compilation and any moment of slide 0 fits: offsets -2 to +2
    assert any(low <= -1.5 and high >= 1.5 and high <= 3.0 for low, high in ranges), found["segments"]
    text = cat.run("match", compilation)
    assert "the picture does not change" in text.stdout


def test_a_still_page_filmed_off_a_screen_at_an_angle_joins_its_source(
    sqlite_catalogue: Catalogue, tmp_path: Path
) -> None:
    # the screen fills 72 % of the frame, its sides leaning by 2-4 %: described as the whole frame, wall
    # and bezel included, it looks like nothing stored; described by its outline, like its source
    cat = sqlite_catalogue
    page = _held(daylight(8, (640, 360)), 6)
    source = _add(cat, write_clip(tmp_path / "page.mp4", page))
    shifts = ((0.03, 0.03), (-0.03, -0.01), (0.02, -0.02), (-0.015, 0.01))
    filmed = _add(
        cat, write_clip(tmp_path / "filmed.mp4", edited(page, filmed_screen(0.72, shifts, wall=200)))
    )
    kinds = _kinds(filmed)
    assert kinds.get(source["id"]) == "duplicate", filmed["near_duplicates"]
    # the screen's picture is described warped flat by its four corners, which the summary shows
    summary = cat.json("show", str(filmed["id"]))["summary"]
    region, corners = summary["footage_region"], summary["footage_outline"]
    assert len(corners) == 4, corners
    (left, top), (right, _), (_, bottom) = corners[0], corners[1], corners[2]
    assert left < right and top < bottom
    middle = ((left + corners[3][0]) / 2, (top + corners[1][1]) / 2)
    assert abs(middle[0] - region["x"]) <= 2 and abs(middle[1] - region["y"]) <= 2, (corners, region)
