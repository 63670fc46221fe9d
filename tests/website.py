"""A local test site on 127.0.0.1 for `evidence capture`: pages, media, redirects, errors, a server
that stalls. Started and stopped by the tests; never the internet."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    stall: bool = False  # send the headers, then nothing until the site stops


@dataclass
class Site:
    base: str
    routes: dict[str, Route]
    requests: list[str]

    def url(self, path: str) -> str:
        return self.base + path

    def file(self, path: str, source: Path, content_type: str) -> None:
        self.routes[path] = Route(body=source.read_bytes(), content_type=content_type)

    def page(self, path: str, html: str, status: int = 200) -> None:
        self.routes[path] = Route(status=status, body=html.encode())

    def redirect(self, path: str, to: str, status: int = 302) -> None:
        self.routes[path] = Route(status=status, headers={"Location": to})


def _handler(site: Site, stop: threading.Event) -> Callable[..., BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            site.requests.append(self.path)
            route = site.routes.get(self.path.split("?")[0])
            if route is None:
                route = Route(status=404, body=b"<html><body>not here</body></html>")
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            for name, value in route.headers.items():
                self.send_header(name, value)
            if route.stall:
                self.send_header("Content-Length", "1000000")
                self.end_headers()
                self.wfile.flush()
                stop.wait(60)  # until the site stops (the client gives up long before)
                return
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            self.wfile.write(route.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def serving(tls: tuple[Path, Path] | None = None) -> Iterator[Site]:
    """The site on a free port of 127.0.0.1; with `tls` (certificate and key files), over https."""
    stop = threading.Event()
    site = Site("", {}, [])
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site, stop))
    server.daemon_threads = True
    scheme = "http"
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    site.base = f"{scheme}://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        thread.join()
