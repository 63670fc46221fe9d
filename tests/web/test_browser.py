"""`evidence serve` in a real browser: Debian's Chromium driven by its chromedriver (Selenium), never a
browser downloaded. The item page plays the original from the store, a keyframe seeks the player, the
page's own script runs under the Content-Security-Policy, and hostile text in tags and claims stays text."""

from __future__ import annotations

import hashlib
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Catalogue
from library import opened
from mediagen import make_video, video_frame

from evidence.ingest.web.screenshot import find_chromium
from evidence.web.app import running

HOSTILE = "<img src=x onerror=\"document.title='owned'\"><script>document.title='owned'</script>"


def _driver() -> Any:
    chromium = find_chromium()
    driver_path = shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        pytest.skip(
            "no Chromium and chromedriver here (apt-get install chromium chromium-driver; CI installs them)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--mute-audio",
        "--window-size=1280,900",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(driver_path))


@pytest.fixture
def browser() -> Iterator[Any]:
    driver = _driver()
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def served(sqlite_catalogue: Catalogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    video = make_video(tmp_path / "palmyra.mp4", seconds=6.0, fps=25, size=(320, 180), scenes=3, seed=41)
    sqlite_catalogue.ok("add", video, "--source-url", "https://t.me/amaq/1234")
    sqlite_catalogue.ok("tag", "1", "compass", "--at", "4.5", "--note", HOSTILE)
    sqlite_catalogue.ok("claim", "1", "--by", HOSTILE, "--text", HOSTILE)
    with opened(sqlite_catalogue, monkeypatch) as ws, running(ws, actor="tester") as server:
        yield server.url


@pytest.mark.slow
def test_the_item_page_plays_seeks_and_keeps_hostile_text_inert(
    browser: Any, served: str, sqlite_catalogue: Catalogue, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver, catalogue = browser, sqlite_catalogue
    driver.get(served)
    driver.find_element(By.CSS_SELECTOR, 'li.card a[href="/items/1"]').click()
    wait = WebDriverWait(driver, 30)
    wait.until(lambda d: d.execute_script("return document.getElementById('player').readyState >= 1"))
    duration = driver.execute_script("return document.getElementById('player').duration")
    assert abs(duration - 6.0) < 0.1
    # a keyframe and a tag's time each seek the player (the page's script, allowed by the policy)
    keyframe = driver.find_element(By.CSS_SELECTOR, 'ol.strip button.seek[data-t="2.0"]')
    tagged = driver.find_element(By.CSS_SELECTOR, "table.tags button.seek")
    for button in (keyframe, tagged):
        t = float(button.get_attribute("data-t"))
        button.click()
        wait.until(
            lambda d, t=t: (
                abs(d.execute_script("return document.getElementById('player').currentTime") - t) < 0.01
            )
        )
        wait.until(lambda d, t=t: d.find_element(By.ID, "now").text == f"{t:.3f}")
    assert 4.4 < t <= 4.5  # the tag's frame: the one shown at 4.5 s
    # the frame out follows the player: what the page offers is the frame the CLI writes for that time
    link = driver.find_element(By.ID, "frame-png").get_attribute("href")
    assert link.endswith(f"/items/1/frame.png?t={t:.3f}")
    with urllib.request.urlopen(link, timeout=60) as response:
        downloaded = response.read()
    catalogue.ok("frame", "1", "--at", f"{t:.3f}", "-o", tmp_path / "cli.png")
    assert hashlib.sha256(downloaded).digest() == hashlib.sha256((tmp_path / "cli.png").read_bytes()).digest()
    assert driver.title == "palmyra.mp4 · evidence"
    assert HOSTILE in driver.find_element(By.CSS_SELECTOR, "table.tags").text
    refused = [
        entry["message"]
        for entry in driver.get_log("browser")
        if "Content Security Policy" in entry["message"]
    ]
    assert refused == []


def _excerpt(
    path: Path, seconds: float, start: float, fps: int = 25, size: tuple[int, int] = (320, 180)
) -> Path:
    """The part of `make_video(…, seconds, fps, size, scenes=3, seed=41)` from `start` on, encoded anew."""
    import av

    total = round(seconds * fps)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for index in range(round(start * fps), total):
            picture = av.VideoFrame.from_ndarray(video_frame(index, total, size, 3, 41), format="rgb24")
            container.mux(stream.encode(picture))
        container.mux(stream.encode(None))
    return path


@pytest.mark.slow
def test_a_pair_plays_in_step_at_the_matchers_offset(
    browser: Any, sqlite_catalogue: Catalogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    source = make_video(tmp_path / "source.mp4", seconds=6.0, fps=25, size=(320, 180), scenes=3, seed=41)
    sqlite_catalogue.ok("add", source)
    sqlite_catalogue.ok("add", _excerpt(tmp_path / "excerpt.mp4", 6.0, 1.0))  # from 1 s on
    with opened(sqlite_catalogue, monkeypatch) as ws, running(ws, actor="tester") as server:
        browser.get(server.url + "review")
        browser.find_element(By.CSS_SELECTOR, "ol.review li a").click()
        wait = WebDriverWait(browser, 30)
        ready = "return [1, 2].every(n => document.getElementById('player-' + n).readyState >= 1)"
        wait.until(lambda d: d.execute_script(ready))
        button = browser.find_element(By.ID, "in-step")
        assert abs(float(button.get_attribute("data-offset")) + 1.0) < 0.1  # #2 runs 1 s behind #1
        browser.execute_script("document.getElementById('player-1').currentTime = 3.0")
        button.click()
        browser.execute_script("document.getElementById('player-1').pause()")
        times = "return [1, 2].map(n => document.getElementById('player-' + n).currentTime)"
        wait.until(lambda d: d.execute_script(times)[1] > 0)
        left, right = browser.execute_script(times)
        assert abs((left - right) - 1.0) < 0.15, (left, right)
