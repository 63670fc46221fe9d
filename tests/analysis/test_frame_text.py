"""Text in frames: Tesseract reads the keyframes of what is added (Russian, Ukrainian, Arabic and English
burnt into a clip, rendered with DejaVu Sans), `search --text` finds the item by a word in any of those
scripts, `evidence ocr` shows each word with its box, reads any frame on demand (`--at`), and a tag
can be made from a word's box; without Tesseract, analysis goes on and `ocr` says why."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import Catalogue
from library import served_pages
from mediagen import make_text_video, sample_image, text_panel
from PIL import Image
from textread import need_tesseract

LANGUAGES = ("eng", "rus", "ukr", "ara")
ON = "+".join(LANGUAGES)
SCENES = [["Made in Russia"], ["Бинт стерильный"], ["ضماد طبي"]]


@pytest.fixture
def reading(monkeypatch: pytest.MonkeyPatch) -> None:
    need_tesseract(monkeypatch, ON)


def _ids(cat: Catalogue, *args: str) -> list[int]:
    return [hit["id"] for hit in cat.json("search", *args)["results"]]


def test_words_burnt_into_a_clip_are_found_in_any_script(
    catalogue: Catalogue, tmp_path: Path, reading: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    clip = make_text_video(tmp_path / "palmyra.mp4", SCENES, seconds_each=1.0)
    plain = make_text_video(tmp_path / "plain.mp4", [[], [], []], seconds_each=1.0, seed=4)
    catalogue.ok("add", clip, plain)
    assert _ids(catalogue, "--text", "бинт") == [1]  # lower case finds "Бинт"
    assert _ids(catalogue, "--text", "СТЕРИЛЬНЫЙ") == [1]
    assert _ids(catalogue, "--text", "ضماد") == [1]
    assert _ids(catalogue, "--text", "russia") == [1]
    assert _ids(catalogue, "--text", "автомат") == []

    doc = json.loads(catalogue.ok("ocr", "1", "--json").stdout)
    words = {w["text"]: (r["t"], w) for r in doc["readings"] for w in r["words"]}
    assert {"Made", "Russia", "Бинт", "стерильный", "ضماد", "طبي"} <= words.keys()
    t, bandage = words["Бинт"]
    assert 1.0 <= t < 2.0  # the second scene
    x, y, w, h = bandage["box"]
    assert 40 <= x < 200 and 40 <= y < 150 and 40 < w < 160 and 15 < h < 60  # where the panel puts it
    assert bandage["confidence"] >= 80
    assert json.loads(catalogue.ok("ocr", "2", "--json").stdout)["readings"] == []
    events = [e for e in catalogue.json("show", "1")["events"] if e["action"] == "read-text"]
    assert len(events) == 1 and events[0]["details"]["words"] >= 6
    catalogue.ok("analyze", "1")  # analysed again: its keyframes are not read again
    again = [e for e in catalogue.json("show", "1")["events"] if e["action"] == "read-text"]
    assert again == events
    page, plain_page = served_pages(catalogue, monkeypatch, "/items/1", "/items/2")
    assert "<h2>Text in frames</h2>" in page and "Бинт стерильный" in page and "ضماد" in page
    assert "Text in frames" not in plain_page
    assert catalogue.json("verify")["ok"] is True


def test_any_frame_is_read_on_demand_and_a_word_makes_a_tag(
    sqlite_catalogue: Catalogue, tmp_path: Path, reading: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalogue = sqlite_catalogue
    clip = make_text_video(tmp_path / "palmyra.mp4", SCENES, seconds_each=1.0)
    monkeypatch.setenv("EVIDENCE_OCR_LANGUAGES", "none")
    catalogue.ok("add", clip)  # analysed without reading
    assert _ids(catalogue, "--text", "бинт") == []
    monkeypatch.setenv("EVIDENCE_OCR_LANGUAGES", ON)

    doc = json.loads(catalogue.ok("ocr", "1", "--at", "1.5", "--json").stdout)
    (shown,) = doc["readings"]
    assert shown["t"] == 1.5 and (shown["width"], shown["height"]) == (640, 360)
    bandage = next(w for w in shown["words"] if w["text"] == "Бинт")
    assert _ids(catalogue, "--text", "бинт") == [1]
    printed = catalogue.ok("ocr", "1").stdout
    assert f"{bandage['ref']}" in printed and "Бинт" in printed and "at 1.50 s" in printed

    made = catalogue.json("tag", "1", "bandage", "--word", bandage["ref"])
    assert made["box"] == dict(zip(("x", "y", "w", "h"), bandage["box"], strict=True))
    assert (
        abs(made["t_start"] - 1.5) <= 0.04
        and made["note"] == f"read in the frame: Бинт (word {bandage['ref']})"
    )
    for wrong, said in (
        (f"{shown['id']}.99", "has "),
        ("999.1", "no text reading 999"),
        ("bandage", "READING.N"),
    ):
        refused = catalogue.run("tag", "1", "bandage", "--word", wrong)
        assert (
            refused.exit_code == 2
            and said in refused.stderr
            and len(refused.stderr.strip().splitlines()) == 1
        )
    clash = catalogue.run("tag", "1", "bandage", "--word", bandage["ref"], "--box", "1,1,5,5")
    assert clash.exit_code == 2
    assert catalogue.json("verify")["ok"] is True


def test_text_in_a_picture_is_read_too(sqlite_catalogue: Catalogue, tmp_path: Path, reading: None) -> None:
    picture = np.asarray(sample_image((640, 360), seed=2))
    Image.fromarray(text_panel(picture, ["Бинт", "Made in Russia"])).save(tmp_path / "packet.png")
    sqlite_catalogue.ok("add", tmp_path / "packet.png")
    assert _ids(sqlite_catalogue, "--text", "бинт") == [1]
    (shown,) = json.loads(sqlite_catalogue.ok("ocr", "1", "--json").stdout)["readings"]
    assert shown["t"] is None and "Бинт" in shown["text"]
    refused = sqlite_catalogue.run("ocr", "1", "--at", "1")
    assert refused.exit_code == 2 and "is an image" in refused.stderr


def test_without_tesseract_analysis_goes_on_and_ocr_says_why(
    sqlite_catalogue: Catalogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalogue = sqlite_catalogue
    clip = make_text_video(tmp_path / "palmyra.mp4", SCENES, seconds_each=1.0)
    monkeypatch.setenv("EVIDENCE_OCR_LANGUAGES", "xyz")  # a language no Tesseract here has
    added = catalogue.json("add", clip)["results"][0]
    assert added["analysis"] == "ok"
    asked = catalogue.run("ocr", "1", "--at", "1.5")
    assert asked.exit_code == 4 and "none of the languages xyz is installed" in asked.stderr
    monkeypatch.setenv("EVIDENCE_OCR_LANGUAGES", ON)
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # no tesseract on PATH
    assert shutil.which("tesseract") is None
    asked = catalogue.run("ocr", "1", "--keyframes")
    assert asked.exit_code == 4 and "Tesseract is not installed" in asked.stderr
    listed = catalogue.run("ocr", "1")
    assert listed.exit_code == 0 and "Tesseract is not installed" in listed.stderr
    assert catalogue.json("verify")["ok"] is True
