"""A full-height screenshot of a page from a headless Chromium, and the resources the page loaded in it
(pictures, style sheets, scripts, with their bodies), driven over the DevTools protocol on a pipe
(`--remote-debugging-pipe`: fd 3 in, fd 4 out, messages ended by NUL). No browser is ever
downloaded: `EVIDENCE_CHROMIUM` or a `chromium` / `chromium-browser` / `google-chrome` on PATH."""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WIDTH = 1280
VIEW_HEIGHT = 900
MAX_HEIGHT = 16384  # a page taller than this is cut at it (Chromium's own texture limit is near)
NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class ScreenshotFailed(Exception):
    pass


@dataclass
class Loaded:
    """A resource the page loaded in the browser (a picture, a style sheet, a script…), as received:
    its body decoded from any content encoding."""

    url: str
    method: str
    request_headers: dict[str, str]
    status: int
    status_text: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Shot:
    width: int
    height: int
    loaded: list[Loaded] = field(default_factory=list)


def find_chromium() -> str | None:
    chosen = os.environ.get("EVIDENCE_CHROMIUM")
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


class _Pipe:
    """The DevTools protocol over Chromium's pipe: commands with ids, events collected on the way."""

    def __init__(self, write_fd: int, read_fd: int, deadline: float) -> None:
        self.write_fd, self.read_fd, self.deadline = write_fd, read_fd, deadline
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> Any:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self.write_fd, data) :]
        while True:
            reply = self._read()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise ScreenshotFailed(f"{method}: {reply['error'].get('message', 'failed')}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_for(self, method: str, until: float) -> bool:
        while True:
            if any(e.get("method") == method for e in self.events):
                return True
            try:
                reply = self._read(until)
            except ScreenshotFailed:
                return False
            if "method" in reply:
                self.events.append(reply)

    def _read(self, until: float | None = None) -> dict[str, Any]:
        until = min(until or self.deadline, self.deadline)
        while b"\0" not in self.buffer:
            left = until - time.monotonic()
            if left <= 0:
                raise ScreenshotFailed("the browser did not answer in time")
            ready, _, _ = select.select([self.read_fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.read_fd, 1 << 20)
            if not chunk:
                raise ScreenshotFailed("the browser stopped")
            self.buffer += chunk
        message, _, self.buffer = self.buffer.partition(b"\0")
        parsed: dict[str, Any] = json.loads(message)
        return parsed


def screenshot(
    url: str, out: Path, *, timeout: float = 30.0, chromium: str | None = None, keep_bytes: int = 0
) -> Shot:
    """Load `url` in a fresh headless profile and write a PNG of the whole page (at most MAX_HEIGHT
    px tall) to `out`; returns its size and the resources the page loaded besides `url` itself (at
    most `keep_bytes` of bodies in all). Raises ScreenshotFailed."""
    browser = chromium or find_chromium()
    if browser is None:
        raise ScreenshotFailed("no Chromium found (set EVIDENCE_CHROMIUM or install chromium)")
    deadline = time.monotonic() + timeout
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()

    def wire() -> None:  # in the child, before exec: the pipe's ends at fds 3 and 4
        high_r = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)  # out of the way of 3 and 4 first
        high_w = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
        os.dup2(high_r, 3)
        os.dup2(high_w, 4)

    with tempfile.TemporaryDirectory(prefix="evidence-chromium-", ignore_cleanup_errors=True) as profile:
        args = [
            browser,
            "--headless=new",
            "--remote-debugging-pipe",
            f"--user-data-dir={profile}",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-gpu",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--mute-audio",
            "--hide-scrollbars",
            f"--window-size={WIDTH},{VIEW_HEIGHT}",
        ]
        if os.geteuid() == 0:
            args.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
        try:
            process = subprocess.Popen(
                [*args, "about:blank"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                close_fds=False,
                start_new_session=True,  # the browser and its helpers in one group, ended together
                preexec_fn=wire,  # the process is single-threaded here (the capture runs no threads)
            )
        except OSError as exc:
            raise ScreenshotFailed(f"could not start {browser}: {exc.strerror or exc}") from exc
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        try:
            return _capture(_Pipe(to_child_w, from_child_r, deadline), url, out, deadline, keep_bytes)
        finally:
            os.close(to_child_w)
            os.close(from_child_r)
            _end(process)


def _end(process: subprocess.Popen[bytes]) -> None:
    """End the browser and every helper process it started (they share its process group), so that
    nothing writes into its profile once it is removed."""
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            continue
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # helpers that outlived the browser
        return


def _capture(pipe: _Pipe, url: str, out: Path, deadline: float, keep_bytes: int) -> Shot:
    target = pipe.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    pipe.send("Page.enable", session=session)
    if keep_bytes:
        pipe.send("Network.enable", {"maxResourceBufferSize": min(keep_bytes, 1 << 28)}, session=session)
    pipe.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTH, "height": VIEW_HEIGHT, "deviceScaleFactor": 1, "mobile": False},
        session=session,
    )
    navigated = pipe.send("Page.navigate", {"url": url}, session=session)
    if navigated.get("errorText"):
        raise ScreenshotFailed(f"the browser could not load the page: {navigated['errorText']}")
    # a page that never finishes loading is shot as it is when most of the time is spent
    pipe.wait_for("Page.loadEventFired", time.monotonic() + (deadline - time.monotonic()) * 0.6)
    size = pipe.send("Page.getLayoutMetrics", session=session).get("cssContentSize", {})
    width = max(1, min(int(size.get("width", WIDTH)), WIDTH * 4))
    height = max(1, min(int(size.get("height", VIEW_HEIGHT)), MAX_HEIGHT))
    shot = pipe.send(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
        },
        session=session,
    )
    out.write_bytes(base64.b64decode(shot["data"]))
    loaded = _loaded(pipe, session, url, keep_bytes) if keep_bytes else []
    with contextlib.suppress(ScreenshotFailed):
        pipe.send("Browser.close")
    return Shot(width, height, loaded)


def _loaded(pipe: _Pipe, session: str, page_url: str, budget: int) -> list[Loaded]:
    """The responses the page loaded besides itself (http and https only), with their bodies, while
    the bodies fit in `budget` bytes."""
    requests: dict[str, dict[str, Any]] = {}
    responses: dict[str, dict[str, Any]] = {}
    finished: list[str] = []
    for event in pipe.events:
        params = event.get("params", {})
        method = event.get("method")
        if method == "Network.requestWillBeSent":
            requests[params["requestId"]] = params.get("request", {})
        elif method == "Network.responseReceived" and params.get("type") != "Media":
            # video and sound are taken as media items (yt-dlp), not fetched again into the WARC
            responses[params["requestId"]] = params.get("response", {})
        elif method == "Network.loadingFinished":
            finished.append(params["requestId"])
    out: list[Loaded] = []
    for request_id in finished:
        response = responses.get(request_id)
        request = requests.get(request_id, {})
        link = (response or {}).get("url", "")
        if response is None or link == page_url or not link.startswith(("http://", "https://")):
            continue
        try:
            got = pipe.send("Network.getResponseBody", {"requestId": request_id}, session=session)
        except ScreenshotFailed:
            continue  # evicted from the browser's buffer, or a response without a body
        body = base64.b64decode(got["body"]) if got.get("base64Encoded") else got.get("body", "").encode()
        if len(body) > budget:
            break
        budget -= len(body)
        out.append(
            Loaded(
                url=link,
                method=request.get("method", "GET"),
                request_headers={str(k): str(v) for k, v in request.get("headers", {}).items()},
                status=int(response.get("status", 0)),
                status_text=str(response.get("statusText", "")),
                headers={str(k): str(v) for k, v in response.get("headers", {}).items()},
                body=body,
            )
        )
    return out
