"""The HTTP side of `evidence serve`: routes, the security headers every response carries, the host check,
and originals streamed from the store with byte ranges.

Nothing in a request names a file: an original is found by the id of its item, a thumbnail by a
sha256 the catalogue records for a frame, a static file by a fixed list of names."""

from __future__ import annotations

import ipaddress
import re
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from io import BufferedIOBase
from typing import BinaryIO
from urllib.parse import parse_qs, urlsplit

from evidence.accounts.users import AccountView, account, list_users
from evidence.core.names import may_change
from evidence.errors import EvidenceError, NotFound, UsageError
from evidence.web import pages
from evidence.web.auth import LOGIN_COOKIE, SESSION_COOKIE, Attempts, Keys, Ticket, Who, cookie
from evidence.web.pages import Reply
from evidence.web.posts import answer as answer_post
from evidence.web.ranges import Unsatisfiable, byte_range
from evidence.workspace import Workspace

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
STATIC = {"app.css": "text/css; charset=utf-8", "app.js": "text/javascript; charset=utf-8"}
INLINE = re.compile(r"(video|audio)/[\w.+-]+|image/(jpeg|png|gif|webp|avif|bmp)")
"""What a browser may show of an original from this origin; anything else (a captured page's HTML, an
SVG, a PDF) is sent as a download, so that no file in the catalogue runs in the application's origin."""
CHUNK = 1 << 16
ITEM = re.compile(r"/items/(\d{1,18})")
MEDIA = re.compile(r"/items/(\d{1,18})/original")
THUMBNAIL = re.compile(r"/thumbnails/([0-9a-f]{64})\.jpg")
PAIR = re.compile(r"/review/(\d{1,18})")
FRAME = re.compile(r"/items/(\d{1,18})/frame\.(png|json)")
SECONDS = re.compile(r"\d{1,9}(\.\d{1,6})?")
PAGES = (
    re.compile(r"/"),
    ITEM,
    re.compile(r"/review"),
    PAIR,
    re.compile(r"/clusters"),
    re.compile(r"/login"),
)
"""What another site may link to (a navigation): the pages. Everything else it may not reach through
its visitors' browsers: not the originals, not a frame download (which logs an export)."""


class Handler(BaseHTTPRequestHandler):
    server: Server
    server_version = "evidence"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def do_POST(self) -> None:
        self._reply(
            answer_post(self.server, self.headers, self.rfile, self.path, self.client_address[0]), True
        )

    def _refuse_method(self) -> None:
        # its body is not read: the connection cannot carry another request
        status, text = HTTPStatus.METHOD_NOT_ALLOWED, "Pages are read with GET, changed with POST."
        self._reply(Reply(status, pages.error(405, text), close=True), True, allow="GET, HEAD, POST")

    do_PUT = do_DELETE = do_PATCH = _refuse_method

    def who(self) -> Who | None:
        """Who the page is for; None when the catalogue has accounts and this request has no session."""
        ticket, person = self.server.session(self.headers.get("Cookie"))
        if ticket is None or person is None:
            return None if self.server.needs_login() else Who(None, None, False, None)
        allowed = self.server.may_change(person)
        return Who(person.name, str(person.role), allowed, self.server.keys.csrf(ticket.nonce))

    def log_message(self, format: str, *args: object) -> None:
        if self.server.log is not None:
            self.server.log(f"{self.address_string()} {format % args}")

    def _answer(self, *, send_body: bool) -> None:
        if not self.server.allowed_host(self.headers.get("Host")):
            self._reply(
                Reply(HTTPStatus.MISDIRECTED_REQUEST, pages.error(421, "Unknown host name.")), send_body
            )
            return
        url = urlsplit(self.path)
        path, query = url.path, parse_qs(url.query, keep_blank_values=False, max_num_fields=50)
        if not self._from_here(path):
            self._reply(Reply(HTTPStatus.FORBIDDEN, pages.error(403, "Not from another site.")), send_body)
            return
        try:
            if path.startswith("/static/") or path == "/login":
                self._open(path, query, send_body)
                return
            who = self.who()
            if who is None:
                self._reply(Reply(HTTPStatus.SEE_OTHER, b"", location=pages.login_link(path)), send_body)
                return
            if (found := MEDIA.fullmatch(path)) is not None:
                self._original(int(found.group(1)), send_body)
                return
            if (found := FRAME.fullmatch(path)) is not None:
                reply, extra = self._frame(int(found.group(1)), found.group(2), query, who)
                self._reply(reply, send_body, **extra)
                return
            if path == "/review/next":
                next_page = pages.next_pair(self.server.ws)
                self._reply(Reply(HTTPStatus.SEE_OTHER, b"", location=next_page), send_body)
                return
            reply = self._route(path, query, who)
        except NotFound as exc:
            reply = Reply(HTTPStatus.NOT_FOUND, pages.error(404, str(exc)))
        except EvidenceError as exc:
            reply = Reply(HTTPStatus.BAD_REQUEST, pages.error(400, str(exc)))
        except (BrokenPipeError, ConnectionResetError):
            return  # the browser went away (a player that seeks drops its earlier request)
        except Exception as exc:  # one line in the log, a 500 page, and the server goes on
            sys.stderr.write(f"evidence serve: internal error on {self.command} {path}: {exc!r}\n")
            reply = Reply(
                HTTPStatus.INTERNAL_SERVER_ERROR, pages.error(500, "Internal error (see the server's log).")
            )
        self._reply(reply, send_body)

    def _open(self, path: str, query: dict[str, list[str]], send_body: bool) -> None:
        """What answers without a session: the login page and the static files."""
        if path == "/login":
            nonce = cookie(self.headers.get("Cookie"), LOGIN_COOKIE)
            self._reply(pages.login_page(self.server.keys, query, nonce), send_body)
            return
        name = path[len("/static/") :]
        if name not in STATIC:
            self._reply(Reply(HTTPStatus.NOT_FOUND, pages.error(404, "No such page.")), send_body)
            return
        body = (resources.files(__package__) / "static" / name).read_bytes()
        self._reply(Reply(HTTPStatus.OK, body, STATIC[name]), send_body)

    def _route(self, path: str, query: dict[str, list[str]], who: Who) -> Reply:
        ws = self.server.ws
        if path == "/":
            return Reply(HTTPStatus.OK, pages.items_page(ws, query, who))
        if (found := ITEM.fullmatch(path)) is not None:
            return Reply(HTTPStatus.OK, pages.item_page(ws, int(found.group(1)), who))
        if path == "/review":
            return Reply(HTTPStatus.OK, pages.review_page(ws, query, who))
        if (found := PAIR.fullmatch(path)) is not None:
            return Reply(HTTPStatus.OK, pages.pair_page(ws, int(found.group(1)), who))
        if path == "/clusters":
            return Reply(HTTPStatus.OK, pages.clusters_page(ws, query, who))
        if path == "/accounts":
            if who.role != "admin":
                return Reply(HTTPStatus.FORBIDDEN, pages.error(403, "Only an admin sees the accounts.", who))
            return Reply(HTTPStatus.OK, pages.accounts_page(ws, who))
        if path == "/terms.json":
            return Reply(HTTPStatus.OK, pages.terms(ws, query), "application/json")
        if (found := THUMBNAIL.fullmatch(path)) is not None:
            return Reply(HTTPStatus.OK, pages.thumbnail(ws, found.group(1)), "image/jpeg")
        return Reply(HTTPStatus.NOT_FOUND, pages.error(404, "No such page.", who))

    def _from_here(self, path: str) -> bool:
        """The browser's own word on where a request comes from (`Sec-Fetch-Site`): from this
        application, typed by the user, or a link followed to a page. A client that does not say
        (a script, curl) is taken as the user."""
        site = self.headers.get("Sec-Fetch-Site")
        if site in (None, "same-origin", "none"):
            return True
        navigating = self.headers.get("Sec-Fetch-Mode") == "navigate" and self.command in ("GET", "HEAD")
        return navigating and any(p.fullmatch(path) for p in PAGES)

    def _frame(
        self, item_id: int, form: str, query: dict[str, list[str]], who: Who
    ) -> tuple[Reply, dict[str, str]]:
        """The frame shown at `t` seconds: the PNG (logged as an export) or its sidecar."""
        text = (query.get("t") or [""])[-1]
        if not SECONDS.fullmatch(text):
            raise UsageError("t must be a time in seconds (12.5)")
        at = float(text)
        name = f"item{item_id}-{at:.3f}s.png"
        if form == "json":
            out = pages.frame_sidecar(self.server.ws, item_id, at, name)
            return Reply(HTTPStatus.OK, out, "application/json"), {
                "content_disposition": f'attachment; filename="{name}.json"'
            }
        png = pages.frame_png(self.server.ws, item_id, at, name, actor=who.name or self.server.actor)
        return Reply(HTTPStatus.OK, png, "image/png"), {
            "content_disposition": f'attachment; filename="{name}"'
        }

    def _headers(
        self,
        status: int,
        content_type: str,
        length: int,
        extra: dict[str, str],
        cookies: tuple[str, ...] = (),
    ) -> None:
        self.send_response(status)
        for value in cookies:
            self.send_header("Set-Cookie", value)
        for name, value in HEADERS.items():
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length))
        self.send_header("Cache-Control", extra.pop("cache", "no-store"))
        for name, value in extra.items():
            self.send_header(name.replace("_", "-").title(), value)
        self.end_headers()

    def _reply(self, reply: Reply, send_body: bool, **extra: str) -> None:
        if reply.location is not None:
            extra["location"] = reply.location
        if reply.close:
            self.close_connection = True
            extra["connection"] = "close"
        try:
            self._headers(reply.status, reply.content_type, len(reply.body), extra, reply.cookies)
            if send_body:
                self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the browser went away before the answer was written

    def _original(self, item_id: int, send_body: bool) -> None:
        """The item's original as stored, whole or the byte range asked for."""
        original = pages.original(self.server.ws, item_id)
        size = original.size
        mime = original.mime or ""
        extra = {"accept_ranges": "bytes", "cache": "private, max-age=3600", "etag": f'"{original.sha256}"'}
        if not INLINE.fullmatch(mime):
            mime = "application/octet-stream"
            extra["content_disposition"] = f'attachment; filename="{original.sha256}"'
        try:
            wanted = byte_range(self.headers.get("Range"), size)
        except Unsatisfiable:
            self._reply(
                Reply(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, b"", "text/plain"),
                send_body,
                content_range=f"bytes */{size}",
            )
            return
        start, length, status = 0, size, HTTPStatus.OK
        if wanted is not None:
            start, length, status = wanted.start, wanted.length, HTTPStatus.PARTIAL_CONTENT
            extra["content_range"] = wanted.content_range(size)
        with original.path.open("rb") as stream:
            self._headers(status, mime, length, extra)
            if send_body:
                _copy(stream, self.wfile, start, length)


def _copy(stream: BinaryIO, out: BufferedIOBase, start: int, length: int) -> None:
    stream.seek(start)
    left = length
    while left > 0:
        chunk = stream.read(min(CHUNK, left))
        if not chunk:
            break
        out.write(chunk)
        left -= len(chunk)


class Server(ThreadingHTTPServer):
    """A server bound to (host, port), not yet serving (call `serve_forever`); `actor` is who the
    custody log names for what it logs without an account (the person running it)."""

    daemon_threads = True

    def __init__(
        self,
        ws: Workspace,
        host: str,
        port: int,
        *,
        actor: str,
        read_only: bool = False,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.ws = ws
        ws.db.reuse_between_reads = True  # the vocabulary and the copy groups, while nothing changes
        self.actor = actor
        self.read_only = read_only
        self.log = log
        self.keys = Keys()
        self.attempts = Attempts()
        self._accounts = False
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), Handler)
        self.hosts = _host_names(host, self.server_address[1])

    @property
    def url(self) -> str:
        host = str(self.server_address[0])
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.server_address[1]}/"

    def needs_login(self) -> bool:
        """Whether pages need a session: once the catalogue has an account (accounts are never removed,
        only disabled). Without one it is shown read-only, to this machine only."""
        if not self._accounts:
            self._accounts = bool(list_users(self.ws))
        return self._accounts

    def session(self, cookie_header: str | None) -> tuple[Ticket | None, AccountView | None]:
        """The session a request's Cookie header carries, and its account while that is enabled and its
        password and role are those the session began with."""
        ticket = self.keys.read(cookie(cookie_header, SESSION_COOKIE))
        if ticket is None:
            return None, None
        person = account(self.ws, ticket.account_id)
        if person is None or person.disabled_at is not None or person.stamp != ticket.stamp:
            return ticket, None
        return ticket, person

    def may_change(self, person: AccountView) -> bool:
        """Whether this account may change the catalogue here: its role allows it, the server is not
        read-only."""
        return may_change(person.role) and not self.read_only

    def allowed_host(self, header: str | None) -> bool:
        """The Host header names this server (a page elsewhere that resolves its own name to 127.0.0.1
        cannot read the catalogue through the visitor's browser)."""
        return header is not None and header.strip().lower() in self.hosts


def _host_names(host: str, port: int) -> set[str]:
    names = {host, "localhost"} if ipaddress.ip_address(host).is_loopback else {host}
    out = set()
    for name in names:
        shown = f"[{name}]" if ":" in name else name
        out |= {f"{shown}:{port}".lower()}
        if port == 80:
            out.add(shown.lower())
    return out


def loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@contextmanager
def running(
    ws: Workspace, *, actor: str, host: str = "127.0.0.1", port: int = 0, read_only: bool = False
) -> Iterator[Server]:
    """A server answering in a thread of its own while the block runs (port 0: any free port; its
    `url` says which), shut down and closed after it: for scripts and tests."""
    server = Server(ws, host, port, actor=actor, read_only=read_only)
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="evidence-serve")
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
