"""`evidence serve` changed from a real browser (Debian's Chromium through Selenium): an analyst logs in,
draws a box on a paused frame with the mouse (a rotated phone clip, a clip shown letterboxed in its
player, and an anamorphic one whose pixels are not square), picks `компас` from the autocomplete and
saves; `evidence tags` then holds the box in pixels of the upright frame. In the review queue one
key confirms and another rejects, and `evidence dupes` follows."""

from __future__ import annotations

import hashlib
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from conftest import Catalogue
from library import events, opened
from mediagen import make_jpeg_with_exif, make_video
from test_browser import browser as browser  # the fixture

from evidence.accounts.users import add_user
from evidence.web.app import running
from evidence.workspace import Workspace

SECRET = "correct horse battery"
HOSTILE = "<img src=x onerror=\"document.title='owned'\"><script>document.title='owned'</script>"


@dataclass
class Served:
    url: str
    catalogue: Catalogue
    ws: Workspace


@pytest.fixture
def served(sqlite_catalogue: Catalogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    wide = make_video(tmp_path / "wide.mp4", seconds=4.0, fps=25, size=(320, 180), scenes=3, seed=61)
    phone = make_video(tmp_path / "phone.mp4", seconds=4.0, fps=25, size=(320, 176), rotate=90, seed=62)
    wide_pixels = make_video(
        tmp_path / "anamorphic.mp4",
        seconds=4.0,
        fps=25,
        size=(320, 180),
        seed=63,
        sample_aspect=Fraction(4, 3),
    )
    sqlite_catalogue.ok("add", wide, "--source-url", "https://t.me/amaq/1")
    sqlite_catalogue.ok("add", phone)
    sqlite_catalogue.ok("add", wide_pixels)
    sqlite_catalogue.ok("add", make_jpeg_with_exif(tmp_path / "photo.jpg", size=(320, 240), orientation=6))
    sqlite_catalogue.ok("tag", "1", "helmet", "--note", HOSTILE)
    with opened(sqlite_catalogue, monkeypatch) as ws:
        add_user(ws, "ana", "analyst", SECRET, actor="admin")
        with running(ws, actor="tester") as server:
            yield Served(server.url, sqlite_catalogue, ws)


def _log_in(driver: Any, url: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)
    assert "/login" in driver.current_url
    driver.find_element(By.NAME, "name").send_keys("ana")
    driver.find_element(By.NAME, "password").send_keys(SECRET)
    driver.find_element(By.CSS_SELECTOR, "form.login button").click()
    WebDriverWait(driver, 30).until(lambda d: "/login" not in d.current_url)
    assert driver.find_element(By.CSS_SELECTOR, ".bar .note").text.startswith("ana (analyst)")


def _draw(driver: Any, at: float | None, box: tuple[int, int, int, int]) -> dict[str, int]:
    """Seek to `at` (None: a picture), drag the mouse over `box` (pixels of the upright frame) and
    return the box the form holds."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, 30)
    if at is not None:
        wait.until(lambda d: d.execute_script("return document.getElementById('player').readyState >= 2"))
        driver.execute_script(f"document.getElementById('player').currentTime = {at}")
        wait.until(lambda d: d.execute_script("return !document.getElementById('player').seeking"))
    else:
        wait.until(lambda d: d.execute_script("return document.getElementById('picture').complete"))
    driver.find_element(By.ID, "draw").click()
    layer = driver.find_element(By.ID, "drawing")
    # where the picture lies in the player, in CSS pixels (the player letterboxes it, at its display
    # shape), and the frame's own size in pixels, as the catalogue has it
    dw, dh, ew, eh, w, h = driver.execute_script(
        "const v = document.getElementById('player'), s = document.getElementById('stage').dataset;"
        "if (!v) { const p = document.getElementById('picture');"
        "  return [p.naturalWidth, p.naturalHeight, p.clientWidth, p.clientHeight,"
        "          Number(s.width), Number(s.height)]; }"
        "return [v.videoWidth, v.videoHeight, v.clientWidth, v.clientHeight,"
        " Number(s.width), Number(s.height)]"
    )
    shown = min(ew / dw, eh / dh)
    left, top = (ew - dw * shown) / 2, (eh - dh * shown) / 2
    sx, sy = dw * shown / w, dh * shown / h
    x, y, bw, bh = box
    lw, lh = layer.size["width"], layer.size["height"]

    def offset(px: float, py: float) -> tuple[int, int]:  # Selenium offsets count from the centre
        return round(left + px * sx - lw / 2), round(top + py * sy - lh / 2)

    start, end = offset(x, y), offset(x + bw, y + bh)
    ActionChains(driver).move_to_element_with_offset(
        layer, *start
    ).click_and_hold().move_to_element_with_offset(layer, *end).release().perform()
    value = driver.find_element(By.ID, "tag-box").get_attribute("value")
    got = [int(v) for v in value.split(",")]
    tolerance = 1.5 / min(sx, sy) + 1  # one CSS pixel of the mouse is this many pixels of the frame
    assert all(abs(a - b) <= tolerance for a, b in zip(got, box, strict=True)), (got, box)
    return dict(zip("xywh", got, strict=True))


def _same_frame_as_the_cli(driver: Any, served: Served, item: int) -> None:
    """The page's frame link, fetched with this browser's session, is the PNG `evidence frame` writes."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.execute_script("const v = document.getElementById('player'); v.currentTime = 2.2; v.pause()")
    WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, "now").text == "2.200")
    link = driver.find_element(By.ID, "frame-png").get_attribute("href")
    session = "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())
    with urllib.request.urlopen(urllib.request.Request(link, headers={"Cookie": session}), timeout=60) as r:
        downloaded = r.read()
    out = served.catalogue.root.parent / "cli-frame.png"
    served.catalogue.ok("frame", str(item), "--at", "2.200", "-o", out)
    assert hashlib.sha256(downloaded).digest() == hashlib.sha256(out.read_bytes()).digest()
    served_out = [e for e in events(served.ws) if e.action == "export" and e.details.get("via")]
    assert [(e.actor, e.details["via"]) for e in served_out] == [("ana", "evidence serve")]


def _saved_helmet(driver: Any, served: Served, item: int) -> dict[str, Any]:
    """Type `helmet`, save, and return the boxed tag `evidence tags` then lists."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.find_element(By.ID, "term").send_keys("helmet")
    driver.find_element(By.CSS_SELECTOR, "#tag-form button[type=submit]").click()
    WebDriverWait(driver, 60).until(lambda d: "#tag-" in d.current_url)
    [tag] = [t for t in served.catalogue.json("tags", str(item), "--json")["tags"] if t["box"]]
    return dict(tag)


def _pick_compass(driver: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    term = driver.find_element(By.ID, "term")
    term.send_keys("компас")
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#term-choices li"))
    choice = driver.find_elements(By.CSS_SELECTOR, "#term-choices li")[0]
    assert "(компас)" in choice.text
    choice.click()
    assert term.get_attribute("value").endswith("compass")


@pytest.mark.slow
def test_an_analyst_draws_a_box_picks_a_term_in_russian_and_the_cli_has_it_upright(
    browser: Any, served: Served
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser
    _log_in(driver, served.url + "items/2")
    assert driver.current_url.endswith("/items/2")
    size = driver.execute_script(
        "const v = document.getElementById('player'); return [v.videoWidth, v.videoHeight]"
    )
    assert size == [176, 320]  # the phone clip plays upright
    drawn = _draw(driver, 1.0, (20, 100, 120, 150))
    _pick_compass(driver)
    driver.find_element(By.ID, "tag-t").clear()  # the time the box was drawn at stays what the form sends
    driver.execute_script(
        "document.getElementById('tag-t').value = document.getElementById('player').currentTime.toFixed(3)"
    )
    driver.find_element(By.NAME, "note").send_keys(HOSTILE)
    driver.find_element(By.CSS_SELECTOR, "#tag-form button[type=submit]").click()
    WebDriverWait(driver, 60).until(lambda d: "#tag-" in d.current_url)
    [tag] = served.catalogue.json("tags", "2", "--json")["tags"]
    assert tag["path"][-1] == "compass" and tag["annotator"] == "ana"
    assert tag["box"] == drawn
    assert tag["frame_size"] == {"width": 176, "height": 320} and abs(tag["t_start"] - 1.0) < 0.05
    assert driver.title == "phone.mp4 · evidence"  # the hostile note is text
    # a claim recorded from the page; the frame at the player's time downloaded in this session
    form = driver.find_element(By.ID, "claim-form")
    for name, value in (
        ("claimant", "Amaq " + HOSTILE), ("text", "five soldiers near Palmyra"), ("said_on", "2016-03-24"),
        ("place", "Palmyra"), ("lat", "34.556"), ("lon", "38.269"), ("shows", "компас"),
    ):  # fmt: skip
        form.find_element(By.NAME, name).send_keys(value)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, 60).until(lambda d: "#claim-" in d.current_url)
    [claim] = served.catalogue.json("claims", "2", "--json")["claims"]
    assert claim["claimant"] == "Amaq " + HOSTILE and claim["created_by"] == "ana"
    assert claim["place"]["latitude"] == 34.556 and [s["term"] for s in claim["shows"]] == ["compass"]
    assert "34.55600, 38.26900" in driver.find_element(By.ID, f"claim-{claim['id']}").text
    assert driver.title == "phone.mp4 · evidence"
    _same_frame_as_the_cli(driver, served, 2)
    # the wide clip, its player made taller than the picture: the picture sits letterboxed inside it
    driver.get(served.url + "items/1")
    driver.execute_script(
        "const v = document.getElementById('player'); v.style.width = '640px'; v.style.height = '640px'"
    )
    drawn = _draw(driver, 2.0, (200, 50, 100, 80))
    tag = _saved_helmet(driver, served, 1)
    assert tag["box"] == drawn
    assert driver.title == "wide.mp4 · evidence"
    # pixels a third wider than tall: the browser shows 427 × 180, the frame is 320 × 180
    driver.get(served.url + "items/3")
    size = driver.execute_script(
        "const v = document.getElementById('player'); return [v.videoWidth, v.videoHeight]"
    )
    assert size == [427, 180]
    drawn = _draw(driver, 1.0, (240, 100, 60, 60))  # reaching to the frame's right edge
    tag = _saved_helmet(driver, served, 3)
    assert tag["box"] == drawn and tag["frame_size"] == {"width": 320, "height": 180}
    # a phone's photo stored on its side, with EXIF saying to turn it: boxed as it is seen, upright
    driver.get(served.url + "items/4")
    drawn = _draw(driver, None, (30, 200, 150, 100))
    tag = _saved_helmet(driver, served, 4)
    assert tag["box"] == drawn and tag["frame_size"] == {"width": 240, "height": 320}
    refused = [e["message"] for e in driver.get_log("browser") if "Content Security Policy" in e["message"]]
    assert refused == []


@pytest.mark.slow
def test_one_key_confirms_another_rejects_and_dupes_follows(
    browser: Any, sqlite_catalogue: Catalogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    source = make_video(tmp_path / "source.mp4", seconds=4.0, fps=25, size=(320, 180), scenes=3, seed=71)
    copy = make_video(
        tmp_path / "copy.webm", seconds=4.0, fps=25, size=(320, 180), scenes=3, seed=71, codec="libvpx-vp9"
    )
    small = make_video(tmp_path / "small.mp4", seconds=4.0, fps=25, size=(240, 136), scenes=3, seed=71)
    for path in (source, copy, small):
        sqlite_catalogue.ok("add", path)
    pending = sqlite_catalogue.json("review", "--json")
    assert len(pending["suggestions"]) >= 2
    with opened(sqlite_catalogue, monkeypatch) as ws:
        add_user(ws, "ana", "analyst", SECRET, actor="admin")
        with running(ws, actor="tester") as server:
            driver = browser
            _log_in(driver, server.url + "review")
            wait = WebDriverWait(driver, 60)
            driver.find_element(By.CSS_SELECTOR, "ol.review li a").click()
            first, confirmed = driver.current_url, _pair(driver)
            driver.find_element(By.TAG_NAME, "body").send_keys("c")
            wait.until(lambda d: d.current_url != first)
            second, rejected = driver.current_url, _pair(driver)
            assert second.rsplit("/", 1)[-1].isdigit() and rejected != confirmed  # on to the next one
            driver.find_element(By.ID, "decide-note").send_keys("different footage")
            driver.find_element(By.TAG_NAME, "h1").click()  # the keyboard back on the page, off the field
            driver.find_element(By.TAG_NAME, "body").send_keys("r")
            wait.until(lambda d: d.current_url != second)
    links = {
        tuple(sorted((link["a"], link["b"]))): link["status"]
        for cluster in sqlite_catalogue.json("dupes", "--json")["clusters"]
        for member in cluster
        for link in member["links"]
    }
    assert links[confirmed] == "confirmed" and rejected not in links
    still = {
        tuple(sorted((s["a"]["id"], s["b"]["id"])))
        for s in sqlite_catalogue.json("review", "--json")["suggestions"]
    }
    assert confirmed not in still and rejected not in still


def _pair(driver: Any) -> tuple[int, int]:
    from selenium.webdriver.common.by import By

    ids = [
        int(a.get_attribute("href").rsplit("/", 1)[-1])
        for a in driver.find_elements(By.CSS_SELECTOR, ".side h2 a")
    ]
    assert len(ids) == 2
    return (min(ids), max(ids))
