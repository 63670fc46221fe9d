"""The media of a page, through `yt-dlp` (its platform extractors, and its generic one for pages with
`<video>`, `og:video`, direct links and HLS), plus the photos a page names as its own (`og:image`,
`twitter:image`). Best single file per video; every media file of a post."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from evidence.core.names import GENERIC_EXTRACTORS
from evidence.core.text import one_line
from evidence.errors import UsageError
from evidence.ingest.web.urls import check_url

MAX_ENTRIES = 50  # media files taken from one post
_LOGIN = re.compile(r"log ?in|sign ?in|private|authenticat|cookies|members only|age.restricted", re.I)
MAX_TAG = 8192  # a longer <meta> tag is not read
IMAGE_META = {"og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src"}


@dataclass
class MediaFile:
    path: Path
    url: str  # where its bytes came from (the media's own link, or the page's)
    title: str | None = None


@dataclass
class Media:
    files: list[MediaFile] = field(default_factory=list)
    info: dict[str, Any] | None = None  # yt-dlp's info, sanitised (JSON-able)
    problem: str | None = None  # one line: why no (or not every) media file was taken
    login_wall: bool = False
    over_limit: bool = False  # yt-dlp skipped a file larger than --max-bytes
    separate_streams: bool = False  # picture and sound came apart and were put together

    @property
    def platform(self) -> str | None:
        extractor = (self.info or {}).get("extractor_key") or (self.info or {}).get("extractor")
        return None if extractor is None or extractor in GENERIC_EXTRACTORS else str(extractor)


class _Log:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def debug(self, message: str) -> None:
        if "max-filesize" in message:  # yt-dlp says it on its screen, quietly
            self.warnings.append(message)

    def info(self, message: str) -> None:
        pass

    def warning(self, message: str) -> None:
        self.warnings.append(message)

    def error(self, message: str) -> None:
        self.errors.append(message)


Remux = Callable[[list[Path], Path], Path]


def download(url: str, folder: Path, *, timeout: float, max_bytes: int, remux: Remux | None = None) -> Media:
    """Every media file yt-dlp finds at `url`, downloaded into `folder` (none larger than `max_bytes`):
    the best single file that holds picture and sound; where the platform has picture and sound only
    apart (DASH), both downloaded and put together by `remux` (no FFmpeg needed)."""
    media, entries = _run(url, folder, "best", timeout=timeout, max_bytes=max_bytes)
    apart = media.problem is not None and "format is not available" in media.problem.lower()
    if apart and remux is not None:
        media, entries = _run(url, folder / "streams", "bv*,ba/b", timeout=timeout, max_bytes=max_bytes)
        media.separate_streams = True
    skipped = 0
    for entry, paths in entries:
        files = [p for p in paths if p.is_file() and p.stat().st_size <= max_bytes]
        skipped += len(paths) - len(files) if paths else 1
        link = str(entry.get("url") or url)
        if len(files) > 1 and remux is not None:
            link = str(entry.get("webpage_url") or url)  # the streams' own links are in the metadata
            try:
                files = [remux(files, folder / files[0].stem)]
            except Exception as failure:  # the worker's own failure, said in one line
                reason = one_line(str(getattr(failure, "reason", failure)))[:200]
                media.problem = f"putting picture and sound together failed: {reason}"
        media.files += [MediaFile(f, link, entry.get("title")) for f in files]
    if skipped and media.over_limit:
        media.problem = f"{skipped} media file(s) larger than --max-bytes; not taken"
    elif skipped and media.problem is None:
        media.problem = f"{skipped} media file(s) not taken (larger than --max-bytes, or not downloadable)"
    return media


def _run(
    url: str, folder: Path, chosen: str, *, timeout: float, max_bytes: int
) -> tuple[Media, list[tuple[dict[str, Any], list[Path]]]]:
    """One yt-dlp run with format `chosen`: its info, and each entry with the files it wrote."""
    import yt_dlp

    folder.mkdir(parents=True, exist_ok=True)
    log = _Log()
    options = {
        "outtmpl": str(
            folder / ("%(id).80B.%(format_id).20B.%(ext)s" if "," in chosen else "%(id).80B.%(ext)s")
        ),
        "restrictfilenames": True,
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "logger": log,
        "format": chosen,
        "max_filesize": max_bytes,
        "socket_timeout": timeout,
        "retries": 1,
        "fragment_retries": 1,
        "playlistend": MAX_ENTRIES,
        "noplaylist": False,
        "cachedir": False,
        "check_formats": False,
        "color": {"stderr": "no_color", "stdout": "no_color"},
    }
    media = Media()
    try:
        with yt_dlp.YoutubeDL(options) as ydl:  # type: ignore[arg-type]
            info = ydl.extract_info(url, download=True)
            media.info = ydl.sanitize_info(info) if info else None
    except yt_dlp.utils.DownloadError as exc:
        message = _reason(str(exc))
        media.over_limit = any("max-filesize" in w for w in log.warnings)
        if media.over_limit:
            message = "a media file is larger than --max-bytes; not taken"
        media.login_wall = bool(_LOGIN.search(message))
        media.problem = "no media found on the page" if "Unsupported URL" in message else message
        return media, []
    except Exception as exc:  # an extractor's own bug must not stop the capture
        media.problem = f"yt-dlp failed: {one_line(str(exc))[:200]}"
        return media, []
    media.over_limit = any("max-filesize" in w for w in log.warnings)
    entries = (media.info or {}).get("entries") or [media.info or {}]
    found = []
    for entry in entries:
        if entry:
            downloads = entry.get("requested_downloads") or []
            found.append((entry, [_named_for(Path(d["filepath"])) for d in downloads if d.get("filepath")]))
    return media, found


def _named_for(path: Path) -> Path:
    """HLS segments joined without FFmpeg are MPEG-TS, which yt-dlp names .mp4: named .ts instead."""
    if path.suffix.lower() != ".mp4" or not path.is_file():
        return path
    with open(path, "rb") as handle:
        head = handle.read(189)
    if len(head) == 189 and head[0] == head[188] == 0x47:  # the transport stream's sync bytes
        renamed = path.with_suffix(".ts")
        path.rename(renamed)
        return renamed
    return path


def _reason(text: str) -> str:
    text = re.sub(r"^ERROR:\s*", "", one_line(text))
    text = re.sub(r"^\[[^\]]+\]\s*[^:]*:\s*", "", text)  # "[generic] id: "
    return text[:240]


class _MetaImages(HTMLParser):
    """The `content` of the page's `<meta property|name="og:image…|twitter:image…">` tags, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "meta":
            return
        named = dict(attrs)
        kind = (named.get("property") or named.get("name") or "").strip().lower()
        if kind in IMAGE_META and named.get("content"):
            self.found.append(str(named["content"]).strip())


def _meta_tags(text: str) -> Iterator[str]:
    """Each `<meta …>` tag of the page, found in one pass (a page of unclosed tags costs no more)."""
    lower = text.lower()
    position = 0
    while (start := lower.find("<meta", position)) != -1:
        end = lower.find(">", start)
        if end == -1:
            return  # no tag closes after this one
        if end - start <= MAX_TAG:
            yield text[start : end + 1]
        position = end + 1


def page_images(html_text: str, base: str) -> list[str]:
    """The photos a page names as its own (`og:image`, `twitter:image`), absolute, http(s) only."""
    parser = _MetaImages()
    for tag in _meta_tags(html_text):
        try:
            parser.feed(tag)
            parser.close()
        except (AssertionError, ValueError):  # a tag the parser gives up on
            parser.reset()
    found: list[str] = []
    for content in parser.found:
        link = urljoin(base, content)
        try:
            check_url(link)
        except UsageError:  # a data: or javascript: image is not fetched
            continue
        if link not in found:
            found.append(link)
    return found[:MAX_ENTRIES]


def fetch_image(link: str, out: Path, *, timeout: float, max_bytes: int) -> str | None:
    """Download one photo to `out`; None when done, else why not (one line)."""
    import requests

    try:
        with requests.get(link, timeout=(timeout, timeout), stream=True) as response:
            if response.status_code != 200:
                return f"{link}: HTTP {response.status_code}"
            received = 0
            with open(out, "wb") as handle:
                for chunk in response.iter_content(1 << 16):
                    received += len(chunk)
                    if received > max_bytes:
                        return f"{link}: larger than --max-bytes"
                    handle.write(chunk)
    except requests.exceptions.RequestException as exc:
        return f"{link}: {one_line(str(exc))[:160]}"
    return None
