"""Everything a capture takes from a link, into a scratch folder, before anything is stored: the page
as served (WARC packed as WACZ), its media, a screenshot and a metadata file. No catalogue here."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from evidence.core.names import CaptureOutcome
from evidence.core.timeutil import Instant
from evidence.core.types import MediaKind
from evidence.ingest.record import SNIFF_BYTES
from evidence.ingest.web import media as web_media
from evidence.ingest.web.page import FetchFailed, Page, fetch
from evidence.ingest.web.screenshot import ScreenshotFailed, find_chromium, screenshot
from evidence.ingest.web.wacz import PackFailed, pack
from evidence.ingest.web.warc import append_loaded
from evidence.media.probe.sniff import sniff

HTML_LIMIT = 8 << 20  # the part of a page read for its photos
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Limits:
    timeout: float = 30.0
    max_bytes: int = 4 << 30
    screenshot: bool = True


@dataclass
class Taken:
    """One file to preserve: where it is now, the name and link to record with it."""

    path: Path
    name: str
    url: str


@dataclass
class Gathered:
    url: str
    outcome: CaptureOutcome
    captured_at: datetime
    problems: list[str] = field(default_factory=list)
    page: Page | None = None
    wacz: Taken | None = None
    shot: Taken | None = None
    metadata: Taken | None = None
    media: list[Taken] = field(default_factory=list)
    platform: str | None = None
    info: dict[str, Any] | None = None  # yt-dlp's metadata of the page
    uploader: str | None = None
    posted_at: Instant | None = None
    screenshot_note: str | None = None  # why there is no screenshot, when there is none
    separate_streams: bool = False  # the platform's picture and sound came apart and were put together
    direct: bool = False  # the link's own bytes are the media (no page to photograph)
    loaded: int = 0  # resources the browser loaded for the page, added to the WARC

    @property
    def problem(self) -> str | None:
        return "; ".join(self.problems) or None


def gather(
    url: str, folder: Path, limits: Limits, *, tool: str, remux: web_media.Remux | None = None
) -> Gathered:
    """Fetch `url` and take what it holds into `folder`; never raises for what the link does. `remux`
    puts a platform's separate picture and sound together (in the analysis worker)."""
    got = Gathered(url, CaptureOutcome.NO_MEDIA, datetime.now(UTC))
    try:
        page = fetch(url, folder, timeout=limits.timeout, max_bytes=limits.max_bytes)
    except FetchFailed as failure:
        got.outcome = CaptureOutcome.UNREACHABLE if failure.unreachable else CaptureOutcome.REFUSED
        got.problems.append(failure.reason)
        return got
    got.page = page
    if page.too_large:
        got.outcome = CaptureOutcome.REFUSED
        got.problems.append(f"the response is larger than --max-bytes ({limits.max_bytes} bytes); not kept")
    elif not page.ok:
        got.outcome = CaptureOutcome.HTTP_ERROR
        said = f"HTTP {page.status}" + (f" {page.reason}" if page.reason else "")
        if page.status in (401, 403):
            said += " (the page refused access: it may need a login)"
        got.problems.append(said)
    else:
        _take_media(got, page, folder, limits, remux)
    if limits.screenshot and page.is_html and not page.too_large and not got.direct:
        _take_screenshot(got, page, folder, limits)
    elif not limits.screenshot:
        got.screenshot_note = "no screenshot (--no-screenshot)"
    try:  # the page's exchange, and what the browser loaded for it
        pack(page.warc, folder / "page.wacz", url=page.final_url)
        got.wacz = Taken(folder / "page.wacz", _name("page", page.final_url, ".wacz"), page.final_url)
    except PackFailed as failure:
        got.problems.append(str(failure))
    _write_metadata(got, page, folder, tool)
    return got


def _take_media(
    got: Gathered, page: Page, folder: Path, limits: Limits, remux: web_media.Remux | None
) -> None:
    with open(page.body, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    name = _name("media", page.final_url, "")
    kind = sniff(head, name).kind
    if kind in (MediaKind.VIDEO, MediaKind.IMAGE, MediaKind.AUDIO):  # whatever its Content-Type says
        got.media.append(Taken(page.body, name, page.final_url))  # a direct link to a media file
        got.direct = True
    else:
        found = web_media.download(
            page.final_url, folder / "media", timeout=limits.timeout, max_bytes=limits.max_bytes, remux=remux
        )
        got.separate_streams = found.separate_streams
        got.platform = found.platform
        got.info = found.info
        if found.platform and found.info:
            got.uploader = _text(found.info.get("uploader") or found.info.get("channel"))
            got.posted_at = _posted(found.info)
        for file in found.files:
            got.media.append(Taken(file.path, file.path.name, file.url))
        photos = _photos(page, folder, limits)
        got.media += photos
        if found.problem and not (found.problem == "no media found on the page" and photos):
            got.problems.append(found.problem)
        if found.login_wall and not got.media:
            got.problems.append("the platform asks for a login")
    kept = [t for t in got.media if _is_media(t.path)]
    if len(kept) < len(got.media):
        got.problems.append(f"{len(got.media) - len(kept)} downloaded file(s) were not media; not kept")
    got.media = kept
    got.outcome = CaptureOutcome.CAPTURED if got.media else CaptureOutcome.NO_MEDIA
    if not got.media and not got.problems:
        got.problems.append("no media found on the page")


def _photos(page: Page, folder: Path, limits: Limits) -> list[Taken]:
    if not page.is_html:
        return []
    with open(page.body, "rb") as handle:
        text = handle.read(HTML_LIMIT).decode("utf-8", "replace")
    taken = []
    for number, link in enumerate(web_media.page_images(text, page.final_url), 1):
        out = folder / f"photo-{number}"
        if web_media.fetch_image(link, out, timeout=limits.timeout, max_bytes=limits.max_bytes) is None:
            taken.append(Taken(out, _name(f"photo-{number}", link, ""), link))
    return taken


def _is_media(path: Path) -> bool:
    """What a file's bytes say it is (a server's Content-Type and a link's name can lie)."""
    if path.stat().st_size == 0:
        return False
    with open(path, "rb") as handle:
        kind = sniff(handle.read(SNIFF_BYTES), path.name).kind
    return kind in (MediaKind.VIDEO, MediaKind.IMAGE, MediaKind.AUDIO)


def _take_screenshot(got: Gathered, page: Page, folder: Path, limits: Limits) -> None:
    if find_chromium() is None:
        got.screenshot_note = "no screenshot: no Chromium found (install chromium, or set EVIDENCE_CHROMIUM)"
        return
    out = folder / "screenshot.png"
    try:
        shot = screenshot(page.final_url, out, timeout=limits.timeout, keep_bytes=limits.max_bytes)
        append_loaded(page.warc, shot.loaded)
    except (ScreenshotFailed, OSError) as failure:  # the page and media are kept all the same
        got.screenshot_note = f"no screenshot: {failure}"
        return
    got.loaded = len(shot.loaded)
    got.shot = Taken(out, _name("screenshot", page.final_url, ".png"), page.final_url)


def _write_metadata(got: Gathered, page: Page, folder: Path, tool: str) -> None:
    document: dict[str, Any] = {
        "format": "evidence-capture",
        "version": 1,
        "url": got.url,
        "final_url": page.final_url,
        "redirects": page.redirects,
        "http_status": page.status,
        "http_reason": page.reason,
        "response_headers": page.headers,
        "captured_at": got.captured_at.isoformat(),
        "tool_version": tool,
        "outcome": str(got.outcome),
        "problem": got.problem,
        "media": [{"name": t.name, "url": t.url} for t in got.media],
        "picture_and_sound_put_together": got.separate_streams,
        "resources_loaded_by_the_browser": got.loaded,
        "platform": got.info,
    }
    out = folder / "capture.json"
    out.write_text(json.dumps(document, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
    got.metadata = Taken(out, _name("capture", page.final_url, ".json"), page.final_url)


def _posted(info: dict[str, Any]) -> Instant | None:
    """The platform's own posting time: its timestamp (to the second) or upload date (to the day)."""
    stamp = info.get("timestamp")
    if isinstance(stamp, int | float) and 0 < stamp < 253402300800:
        return Instant(datetime.fromtimestamp(int(stamp), UTC), "second")
    day = info.get("upload_date")
    if isinstance(day, str) and re.fullmatch(r"\d{8}", day):
        try:
            return Instant(datetime.strptime(day, "%Y%m%d").replace(tzinfo=UTC), "day")
        except ValueError:
            return None
    return None


def _text(value: object) -> str | None:
    return " ".join(str(value).split())[:300] or None if value else None


def _name(stem: str, link: str, ext: str) -> str:
    """A file name for a stored file: the link's last path part (its own extension kept when `ext` is
    empty, else replaced by `ext`), or `stem` when the link has none."""
    last = unquote(urlsplit(link).path.rsplit("/", 1)[-1])
    last = _SAFE_NAME.sub("_", last).strip("._")[:120]
    if not ext:
        return last or stem
    return f"{stem}-{last.rsplit('.', 1)[0]}{ext}" if last else f"{stem}{ext}"
