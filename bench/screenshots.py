"""Screenshots of `evidence serve` as an analyst sees it (issue 14's closing proof), at a laptop's
1280 × 800: the item page with a box drawn on a paused frame and the term picked in Russian, the
review queue and a pair's page, and the provenance timeline. Debian's Chromium through Selenium.

    .venv/bin/python bench/screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from mediagen import make_video

from evidence.accounts.users import add_user
from evidence.annotation.claims import record_claim
from evidence.annotation.tags import tag
from evidence.core.fragment import parse_box
from evidence.core.timeutil import parse_instant
from evidence.ingest.add import AddOptions, add_paths
from evidence.ingest.web.screenshot import find_chromium
from evidence.web.app import running
from evidence.workspace import init_workspace, open_workspace

SECRET = "screenshot password"


def _driver(width: int, height: int) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver = find_chromium(), shutil.which("chromedriver")
    if chromium is None or driver is None:
        raise SystemExit("needs Chromium and chromedriver (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--mute-audio", "--hide-scrollbars"):
        options.add_argument(argument)
    options.add_argument(f"--window-size={width},{height}")
    return webdriver.Chrome(options=options, service=Service(driver))


def build(folder: Path) -> None:
    init_workspace(folder / ".evidence", actor="screenshots")
    source = make_video(folder / "amaq_palmyra.mp4", seconds=8.0, fps=25, size=(640, 360), scenes=4, seed=7)
    copy = make_video(
        folder / "repost.webm", seconds=8.0, fps=25, size=(640, 360), scenes=4, seed=7, codec="libvpx-vp9"
    )
    small = make_video(folder / "telegram_copy.mp4", seconds=8.0, fps=25, size=(480, 270), scenes=4, seed=7)
    with open_workspace(folder / ".evidence") as ws:
        for path, url, posted in (
            (source, "https://t.me/amaq_agency/1234", "2016-03-25"),
            (copy, "https://x.example/status/99", "2016-03-24"),
            (small, "https://t.me/warnews/77", "2016-03-26"),
        ):
            add_paths(ws, [path], AddOptions(actor="ana", source_url=url, posted_at=parse_instant(posted)))
        tag(
            ws,
            "1",
            "helmet",
            at=Fraction(5, 2),
            box=parse_box("380,40,140,110"),
            note="on the left",
            actor="ana",
        )
        record_claim(
            ws, ["1"], claimant="Amaq", text="five Russian soldiers killed near Palmyra",
            said_on=parse_instant("2016-03-25"), date=parse_instant("2016-03-24"), place="Palmyra",
            latitude=34.556, longitude=38.269,
            shows=["AK-74M", "helmet", "compass"], actor="ana",
        )  # fmt: skip
        add_user(ws, "ana", "analyst", SECRET, actor="screenshots")


def shoot(folder: Path, out: Path) -> list[Path]:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    out.mkdir(parents=True, exist_ok=True)
    shots = []
    with open_workspace(folder / ".evidence") as ws, running(ws, actor="screenshots") as server:
        driver = _driver(1280, 800)
        try:
            wait = WebDriverWait(driver, 60)
            driver.get(server.url + "items/1")
            driver.find_element(By.NAME, "name").send_keys("ana")
            driver.find_element(By.NAME, "password").send_keys(SECRET)
            driver.find_element(By.CSS_SELECTOR, "form.login button").click()
            wait.until(lambda d: d.current_url.endswith("/items/1"))
            wait.until(lambda d: d.execute_script("return document.getElementById('player').readyState >= 2"))
            driver.execute_script("document.getElementById('player').currentTime = 3.2")
            wait.until(lambda d: d.execute_script("return !document.getElementById('player').seeking"))
            driver.find_element(By.ID, "draw").click()
            layer = driver.find_element(By.ID, "drawing")
            ActionChains(driver).move_to_element_with_offset(
                layer, -120, -60
            ).click_and_hold().move_to_element_with_offset(layer, 20, 40).release().perform()
            driver.find_element(By.ID, "term").send_keys("компас")
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#term-choices li"))
            shots.append(out / "item-drawing-a-box.png")
            driver.save_screenshot(str(shots[-1]))
            driver.find_elements(By.CSS_SELECTOR, "#term-choices li")[0].click()
            driver.find_element(By.CSS_SELECTOR, "#tag-form button[type=submit]").click()
            wait.until(lambda d: "#tag-" in d.current_url)
            driver.execute_script("window.scrollTo(0, document.getElementById('stage').offsetTop - 10)")
            shots.append(out / "item-tagged-with-timeline.png")
            driver.save_screenshot(str(shots[-1]))
            driver.execute_script("document.getElementById('described').scrollIntoView()")
            shots.append(out / "described-and-provenance-timeline.png")
            driver.save_screenshot(str(shots[-1]))
            driver.get(server.url + "review")
            shots.append(out / "review-queue.png")
            driver.save_screenshot(str(shots[-1]))
            driver.find_element(By.CSS_SELECTOR, "ol.review li a").click()
            wait.until(lambda d: d.find_elements(By.ID, "decide"))
            shots.append(out / "pair-side-by-side.png")
            driver.save_screenshot(str(shots[-1]))
        finally:
            driver.quit()
    return shots


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="evidence-screenshots-") as scratch:
        build(Path(scratch))
        for shot in shoot(Path(scratch), args.out):
            print(shot)


if __name__ == "__main__":
    main()
