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
from mediagen import make_video

from evidence.ingest.web.screenshot import find_chromium
from evidence.web.app import serve_in_thread

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
    with opened(sqlite_catalogue, monkeypatch) as ws:
        server, thread = serve_in_thread(ws)
        try:
            yield server.url
        finally:
            server.shutdown()
            server.server_close()
            thread.join(10)


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
