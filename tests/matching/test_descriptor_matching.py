"""Copies that PDQ cannot see, found through the copy-detection descriptors end to end: zoomed and
rotated copies, a copy inside a news programme's frame, a copy at another speed, 2 s pieces of a
compilation; and unrelated footage shown in the same programme frame is not a copy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import Catalogue
from footage import (
    at_speed,
    between_bars,
    edited,
    inside_programme,
    needs_photos,
    pan_frames,
    photo,
    rotate,
    write_clip,
    zoom,
)
from PIL import Image, ImageDraw

from evidence.core.descriptor_match import DescriptorParams

FPS = 30
SECONDS = 10

pytestmark = needs_photos()


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("descriptor-footage")
    source = list(pan_frames(photo(0), SECONDS, FPS, size=(480, 270), seed=11))
    second = list(pan_frames(photo(1), SECONDS, FPS, size=(480, 270), seed=12))
    third = list(pan_frames(photo(3), SECONDS, FPS, size=(480, 270), seed=13))
    unrelated = list(pan_frames(photo(4), SECONDS, FPS, size=(480, 270), seed=14))
    filler = list(pan_frames(photo(2), 2, FPS, size=(480, 270), seed=15))
    portrait = list(pan_frames(photo(5), SECONDS, FPS, size=(270, 480), seed=16))
    clips = {
        "source": write_clip(folder / "source.mp4", source),
        "second": write_clip(folder / "second.mp4", second),
        "third": write_clip(folder / "third.mp4", third),
        "zoomed": write_clip(folder / "zoomed.mp4", edited(source, zoom(1.3, 0.45, 0.55))),
        "rotated": write_clip(folder / "rotated.mp4", edited(source, rotate(7, 1.25))),
        "programme": write_clip(folder / "programme.mp4", edited(source, inside_programme(0.55, 0.2, 0.4))),
        "programme-other": write_clip(
            folder / "programme-other.mp4", edited(unrelated, inside_programme(0.55, 0.8, 0.3))
        ),
        "faster": write_clip(folder / "faster.mp4", at_speed(source, 1.5)),
        # 2 s of each source (source 2-4 s, second 5-7 s, third 1-3 s) between unrelated footage
        "compilation": write_clip(
            folder / "compilation.mp4",
            source[60:120] + filler[:30] + second[150:210] + filler[30:] + third[30:90],
        ),
        "portrait": write_clip(folder / "portrait.mp4", portrait),
        # the portrait clip's 4-6 s between pillars, 3-5 s into a landscape compilation
        "compilation-portrait": write_clip(
            folder / "compilation-portrait.mp4",
            filler[:30] + second[:60] + list(edited(portrait[120:180], between_bars(480, 270))) + filler[30:],
        ),
    }
    still = folder / "screenshot.jpg"  # one moment between two stored frames, at half size, recompressed
    frame = source[152]
    h, w = frame.shape[:2]
    Image.fromarray(frame).resize((w // 2, h // 2), Image.Resampling.BILINEAR).save(still, quality=70)
    clips["still"] = still
    crop = folder / "crop.jpg"  # a detail someone cut out: half the width, 55 % of the height, scaled down
    frame = source[212]
    part = Image.fromarray(frame[int(h * 0.3) : int(h * 0.85), int(w * 0.1) : int(w * 0.6)])
    part.resize((part.width * 4 // 5, part.height * 4 // 5), Image.Resampling.BICUBIC).save(crop, quality=80)
    clips["crop"] = crop
    clips["phone"] = _phone(source[95], folder / "phone.jpg")
    # a tripod shot: one scene with sensor noise, every moment alike (no moment is specific)
    rng = np.random.default_rng(17)
    scene = np.asarray(
        Image.fromarray(photo(3)).resize((480, 270), Image.Resampling.BILINEAR), dtype=np.int16
    )
    tripod = [
        np.clip(scene + rng.normal(0, 3, scene.shape), 0, 255).astype(np.uint8) for _ in range(SECONDS * FPS)
    ]
    clips["tripod"] = write_clip(folder / "tripod.mp4", tripod)
    clips["tripod-phone"] = _phone(tripod[140], folder / "tripod-phone.jpg")
    elsewhere = folder / "elsewhere.png"  # a frame of footage not in the catalogue
    Image.fromarray(unrelated[150]).save(elsewhere)
    clips["elsewhere"] = elsewhere
    return clips


def _phone(frame: np.ndarray, path: Path) -> Path:
    """The frame in a phone's player, as a screenshot shows it: a portrait screen with a status bar,
    a progress bar and a title under the picture (JPEG)."""
    screen = Image.new("RGB", (270, 585), (18, 18, 20))
    screen.paste(Image.fromarray(frame).resize((270, 152), Image.Resampling.BILINEAR), (0, 120))
    draw = ImageDraw.Draw(screen)
    draw.text((12, 8), "21:47", fill=(235, 235, 235))
    draw.rectangle((0, 270, 270, 272), fill=(90, 90, 90))
    draw.rectangle((0, 270, 96, 272), fill=(230, 30, 40))
    draw.text((12, 290), "video video video video", fill=(220, 220, 220))
    screen.save(path, quality=85)
    return path


def _iou(a: dict[str, int], b: dict[str, int]) -> float:
    w = min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"])
    h = min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"])
    inter = max(0, w) * max(0, h)
    return inter / (a["w"] * a["h"] + b["w"] * b["h"] - inter)


def _add(cat: Catalogue, *paths: Path) -> list[dict[str, object]]:
    return [cat.json("add", p)["results"][0] for p in paths]


def _matches(cat: Catalogue, path: Path) -> dict[int, dict[str, object]]:
    return {m["id"]: m for m in cat.json("match", path)["matches"]}


@pytest.mark.parametrize("name", ["zoomed", "rotated", "programme", "faster"])
def test_zoomed_rotated_programme_and_faster_copies_are_found_whole(
    sqlite_catalogue: Catalogue, media: dict[str, Path], name: str
) -> None:
    """The copy is found against its source only, covering it, by the descriptors, and is a duplicate
    (it joins the source's cluster): a single-shot pan's frames are about as like the same shot a few
    seconds away as the moment they show, so where the descriptors alone are not conclusive (below
    0.97, `DescriptorParams.join`) the aligned pictures were checked point by point ("points")."""
    cat = sqlite_catalogue
    [source, _, _] = _add(cat, media["source"], media["second"], media["third"])
    found = _matches(cat, media[name])
    assert set(found) == {source["id"]}, found
    match = found[source["id"]]
    assert "sscd" in match["via"] and match["query_share"] >= 0.85, match
    best = sum(pair["similarity"] for pair in match["similar"][:3]) / 3
    assert best >= 0.5
    assert match["classification"] == "duplicate", match
    if best < DescriptorParams().join:
        assert "points" in match["via"], match
    if name == "faster":
        [segment] = match["segments"]
        span = (segment["target_end"] - segment["target_start"]) / (
            segment["query_end"] - segment["query_start"]
        )
        assert span == pytest.approx(1.5, abs=0.15)


def test_each_two_second_piece_of_a_compilation_is_found_with_its_offset(
    sqlite_catalogue: Catalogue, media: dict[str, Path]
) -> None:
    cat = sqlite_catalogue
    [source, second, third] = _add(cat, media["source"], media["second"], media["third"])
    found = _matches(cat, media["compilation"])
    # query time of each piece, and where it comes from in its source
    expected = {source["id"]: (0.0, 2.0), second["id"]: (3.0, 5.0), third["id"]: (6.0, 1.0)}
    assert set(found) == set(expected)
    for item, (query_start, source_start) in expected.items():
        match = found[item]
        assert match["classification"] == "partial", match
        assert any(abs(o - (source_start - query_start)) <= 0.3 for o in match["offsets"]), match
    assert cat.json("dupes")["clusters"] == []


def test_a_portrait_piece_between_pillars_in_a_landscape_compilation_is_found_with_its_offset(
    sqlite_catalogue: Catalogue, media: dict[str, Path]
) -> None:
    """The piece's pictures are described between their own bars, as the portrait source is: whole, the
    pillars make up half of each picture and the piece is not found."""
    cat = sqlite_catalogue
    [portrait, second] = _add(cat, media["portrait"], media["second"])
    found = _matches(cat, media["compilation-portrait"])
    assert set(found) == {portrait["id"], second["id"]}, found
    match = found[portrait["id"]]
    assert match["classification"] == "partial", match
    assert any(abs(o - (4.0 - 3.0)) <= 0.3 for o in match["offsets"]), match


def test_unrelated_footage_in_the_same_programme_frame_is_not_a_copy(
    sqlite_catalogue: Catalogue, media: dict[str, Path]
) -> None:
    cat = sqlite_catalogue
    [programme, other] = _add(cat, media["programme"], media["programme-other"])
    assert other["near_duplicates"] == [], other
    # the footage was found inside the programme's frame: 55 % of 480x270 at (43, 27)
    region = cat.json("show", str(programme["id"]))["summary"]["footage_region"]
    assert region is not None
    assert _iou(region, {"x": 43, "y": 27, "w": 264, "h": 148}) >= 0.7, region
    assert other["id"] not in _matches(cat, media["programme"])
    assert cat.json("dupes")["clusters"] == []
    [source] = _add(cat, media["source"])
    assert {m["id"] for m in source["near_duplicates"]} == {programme["id"]}


@pytest.mark.parametrize(("name", "frame", "within"), [("crop", 212, 3.0), ("phone", 95, 1.0)])
def test_a_crop_and_a_phone_screenshot_are_found_at_the_moment_they_show(
    sqlite_catalogue: Catalogue, media: dict[str, Path], name: str, frame: int, within: float
) -> None:
    """A picture is tied to the video whose frames around the moments its descriptor points at map
    onto it point by point, at the moment that maps most; footage not in the catalogue matches
    nothing. A detail of a pan over one photograph is in view for seconds (`within`)."""
    cat = sqlite_catalogue
    [source, _, _] = _add(cat, media["source"], media["second"], media["third"])
    found = _matches(cat, media[name])
    assert set(found) == {source["id"]}, found
    [match] = found.values()
    assert match["classification"] == "excerpt-of"
    assert abs(match["offsets"][0] - frame / FPS) <= within, match["offsets"]
    assert _matches(cat, media["elsewhere"]) == {}


def test_a_screenshot_of_a_still_scene_is_found_though_no_moment_of_it_is_specific(
    sqlite_catalogue: Catalogue, media: dict[str, Path]
) -> None:
    """Every moment of a tripod shot is alike, so the descriptor cannot single one out and PDQ cannot
    see the frame inside a phone's screen; the pictures map, and a still scene shows the picture at
    any of its moments."""
    cat = sqlite_catalogue
    [tripod, _] = _add(cat, media["tripod"], media["source"])
    found = _matches(cat, media["tripod-phone"])
    assert set(found) == {tripod["id"]}, found
    [match] = found.values()
    assert match["classification"] == "excerpt-of" and 0 <= match["offsets"][0] <= SECONDS


def test_a_screenshot_matches_the_video_it_was_taken_from(
    sqlite_catalogue: Catalogue, media: dict[str, Path]
) -> None:
    cat = sqlite_catalogue
    [source, _] = _add(cat, media["source"], media["second"])
    found = _matches(cat, media["still"])
    assert set(found) == {source["id"]}
    [match] = found.values()
    assert match["classification"] == "excerpt-of"
    assert match["similar"] and abs(match["similar"][0]["target_t"] - 152 / FPS) <= 1.0  # the descriptors
    assert abs(match["offsets"][0] - 152 / FPS) <= 1.0
