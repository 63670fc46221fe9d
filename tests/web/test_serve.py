"""`evidence serve`, over HTTP as a browser talks to it: the item list and its filters, an item's page,
the original streamed with byte ranges, and what the server refuses (other hosts, changes, paths)."""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import Catalogue
from library import events, head_seq, opened
from mediagen import make_image, make_video

from evidence.web.app import CSP, Server, running
from evidence.workspace import Workspace

HOSTILE_URL = 'https://x.example/" onmouseover="alert(1)'
HOSTILE_NOTE = "<script>document.title='owned'</script>"


@dataclass
class Site:
    server: Server
    ws: Workspace
    video: Path
    picture: Path

    def request(
        self,
        path: str,
        *,
        method: str = "GET",
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        host, port = self.server.server_address[:2]
        connection = http.client.HTTPConnection(str(host), port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def page(self, path: str) -> str:
        status, _, body = self.request(path)
        assert status == 200, body[:400]
        return body.decode()


@pytest.fixture
def site(catalogue: Catalogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    video = make_video(tmp_path / "palmyra.mp4", seconds=4.0, fps=25, size=(320, 180), scenes=3, seed=31)
    picture = make_image(tmp_path / "still.png", seed=5)
    catalogue.ok(
        "add", video, "--source-url", HOSTILE_URL, "--posted-at", "2016-03-24", "--claimed-by", "Amaq"
    )
    catalogue.ok("add", picture, "--source-url", "javascript:alert(1)")
    catalogue.ok("tag", "1", "helmet", "--at", "1.0", "--box", "10,12,60,40", "--note", HOSTILE_NOTE)
    catalogue.ok("tag", "1", "compass", "--range", "2-3")
    catalogue.ok(
        "claim", "1", "--by", "<b>Amaq</b>", "--text", "five soldiers near Palmyra " + HOSTILE_NOTE,
        "--url", "https://t.me/amaq/1234", "--place", "Palmyra", "--lat", "34.55", "--lon", "38.27",
    )  # fmt: skip
    with opened(catalogue, monkeypatch) as ws, running(ws, actor="tester") as server:
        yield Site(server, ws, video, picture)


def test_the_item_list_shows_each_item_with_its_counts_and_filters_like_search(site: Site) -> None:
    html = site.page("/")
    cards = re.findall(r'<li class="card" data-item="(\d+)">(.*?)</li>', html, re.S)
    assert [item for item, _ in cards] == ["1", "2"]
    video = cards[0][1]
    assert (
        "palmyra.mp4" in video and "2 tags" in video and "1 claim" in video and "posted 2016-03-24" in video
    )
    assert re.search(r'<img src="/thumbnails/[0-9a-f]{64}\.jpg"', video)
    assert "0 tags" in cards[1][1]
    # a broader term finds the item tagged with a narrower one, as `evidence search --tag` does
    tagged = site.page("/?tag=protective+gear")
    assert re.findall(r'data-item="(\d+)"', tagged) == ["1"]
    assert re.findall(r'data-item="(\d+)"', site.page("/?kind=image")) == ["2"]
    assert re.findall(r'data-item="(\d+)"', site.page("/?claimed_by=amaq")) == ["1"]
    status, _, body = site.request("/?tag=no-such-term")
    assert status == 400 and b"unknown term" in body


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_item_page_shows_its_player_keyframes_tags_claims_and_copies_escaped(site: Site) -> None:
    html = site.page("/items/1")
    assert '<video id="player" controls preload="metadata" src="/items/1/original">' in html
    seeks = [float(t) for t in re.findall(r'class="seek" data-t="([0-9.]+)"', html)]
    assert seeks[:1] == [0.0] and 1.0 in seeks and 2.0 in seeks  # keyframes, and the tags' times
    assert "helmet" in html and "10,12 60×40" in html
    assert "Palmyra" in html and "https://www.openstreetmap.org/?mlat=34.550000&amp;mlon=38.270000" in html
    assert '<a href="https://t.me/amaq/1234"' in html
    # outside text is text: no markup of its own, no attribute broken out of, no script link
    assert "<script>document" not in html and "&lt;script&gt;document.title" in html
    assert "<b>Amaq</b>" not in html and "&lt;b&gt;Amaq&lt;/b&gt;" in html
    assert 'onmouseover="alert' not in html
    # the player's timeline marks each tag where it is; the story dates the postings and cataloguing
    marks = re.findall(
        r'class="mark seek (tag|copy)[^"]*" data-t="[0-9.]+" data-start="([0-9.]+)" data-end="([0-9.]*)"',
        html,
    )
    assert sorted(marks) == [("tag", "1.0", ""), ("tag", "2.0", "3.0")]
    rows = re.findall(r'<tr><td class="when">([^<]*)</td><td>([^<]*)', html.split("<h3>Timeline</h3>")[1])
    assert rows[0][0] == "2016-03-24"
    assert rows[0][1].startswith(f"#1 {_sha(site.video)[:12]} posted (as its source says)")
    assert [what for _, what in rows].count(f"#1 {_sha(site.video)[:12]} first catalogued") == 1
    assert "claim #1 by &lt;b&gt;Amaq&lt;/b&gt; recorded" in [what for _, what in rows]
    picture = site.page("/items/2")
    assert '<img class="still" src="/items/2/original"' in picture
    assert "javascript:" not in re.sub(r"<td>javascript:alert\(1\)</td>", "", picture)
    assert 'href="javascript' not in picture


def test_the_original_streams_whole_and_by_byte_ranges(site: Site) -> None:
    data = site.video.read_bytes()
    status, headers, body = site.request("/items/1/original")
    assert status == 200 and body == data and headers["accept-ranges"] == "bytes"
    assert headers["content-type"] == "video/mp4"
    status, headers, body = site.request("/items/1/original", headers={"Range": "bytes=100-1099"})
    assert status == 206 and body == data[100:1100]
    assert headers["content-range"] == f"bytes 100-1099/{len(data)}"
    status, headers, body = site.request("/items/1/original", headers={"Range": "bytes=-500"})
    assert status == 206 and body == data[-500:]
    status, headers, body = site.request("/items/1/original", headers={"Range": f"bytes={len(data) - 10}-"})
    assert status == 206 and body == data[-10:]
    status, headers, _ = site.request("/items/1/original", headers={"Range": f"bytes={len(data)}-"})
    assert status == 416 and headers["content-range"] == f"bytes */{len(data)}"
    status, headers, body = site.request("/items/1/original", method="HEAD")
    assert status == 200 and body == b"" and headers["content-length"] == str(len(data))
    status, _, body = site.request("/items/2/original")
    assert (
        status == 200
        and hashlib.sha256(body).hexdigest() == hashlib.sha256(site.picture.read_bytes()).hexdigest()
    )
    assert site.request("/items/99/original")[0] == 404


def test_every_response_carries_the_security_headers(site: Site) -> None:
    for path in ("/", "/items/1", "/items/1/original", "/static/app.js", "/nowhere", "/items/99"):
        _, headers, _ = site.request(path)
        assert headers["content-security-policy"] == CSP, path
        assert "'unsafe-inline'" not in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY", path
    assert "<script" not in re.sub(r'<script src="/static/app.js" defer></script>', "", site.page("/items/1"))


def test_no_request_names_a_file_and_nothing_is_changed(site: Site) -> None:
    before = head_seq(site.ws)
    original = hashlib.sha256(site.video.read_bytes()).hexdigest()
    refused = [
        f"/thumbnails/{original}.jpg",  # an original's digest is no thumbnail
        "/static/../../workspace.py",
        "/static/%2e%2e/app.js",
        "/items/1/original/../../../etc/passwd",
        "/items/..%2f..%2fetc%2fpasswd",
        "/items/1e3",
    ]
    for path in refused:
        status, _, body = site.request(path)
        assert status == 404, (path, body[:200])
    for method in ("PUT", "DELETE", "PATCH"):
        status, headers, _ = site.request("/items/1", method=method)
        assert status == 405 and headers["allow"] == "GET, HEAD, POST"
    # with no accounts the catalogue is shown read-only: a change is refused, a form or not
    form = {"Content-Type": "application/x-www-form-urlencoded", "Content-Length": "9"}
    status, _, body = site.request("/items/1/tags", method="POST", headers=form, body=b"term=helm")
    assert status == 401 and b"no accounts" in body
    assert site.request("/items/1/tags", method="POST")[0] == 415  # not a form
    assert site.request("/", headers={"Host": "attacker.example"})[0] == 421  # DNS rebinding
    assert head_seq(site.ws) == before


def test_serve_refuses_to_listen_beyond_this_machine_and_on_a_busy_port(sqlite_catalogue: Catalogue) -> None:
    result = sqlite_catalogue.run("serve", "--host", "0.0.0.0")
    assert result.exit_code == 2 and "served to this machine only" in result.stderr
    assert "Traceback" not in result.output
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = sqlite_catalogue.run("serve", "--port", str(busy.getsockname()[1]))
    assert result.exit_code == 4 and "the port is in use" in result.stderr


def test_a_frame_downloads_as_the_cli_writes_it_and_is_logged_as_an_export(
    site: Site, catalogue: Catalogue, tmp_path: Path
) -> None:
    catalogue.ok("frame", "1", "--at", "2.5", "-o", tmp_path / "cli.png")
    cli_png = (tmp_path / "cli.png").read_bytes()
    before = head_seq(site.ws)
    status, headers, body = site.request("/items/1/frame.png?t=2.5")
    assert status == 200 and headers["content-type"] == "image/png"
    assert headers["content-disposition"] == 'attachment; filename="item1-2.500s.png"'
    assert hashlib.sha256(body).hexdigest() == hashlib.sha256(cli_png).hexdigest()
    logged = events(site.ws, after=before)
    assert [(e.action, e.actor) for e in logged] == [("export", "tester")]
    assert logged[0].details["via"] == "evidence serve"
    assert logged[0].details["sha256"] == hashlib.sha256(cli_png).hexdigest()
    status, _, body = site.request("/items/1/frame.json?t=2.5")
    sidecar = json.loads(body)
    assert status == 200 and sidecar["png"]["sha256"] == hashlib.sha256(cli_png).hexdigest()
    assert sidecar["item"]["sha256"] == hashlib.sha256(site.video.read_bytes()).hexdigest()
    assert sidecar["frame"]["index"] == json.loads((tmp_path / "cli.png.json").read_text())["frame"]["index"]
    for path in (
        "/items/1/frame.png?t=-1",
        "/items/1/frame.png?t=abc",
        "/items/1/frame.png",
        "/items/2/frame.png?t=0",
    ):
        assert site.request(path)[0] == 400, path
    assert head_seq(site.ws) == before + 1


def test_another_site_cannot_reach_originals_or_downloads_through_a_visitors_browser(site: Site) -> None:
    before = head_seq(site.ws)
    cross = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image"}
    for path in (
        "/items/1/original",
        "/items/1/frame.png?t=1",
        "/thumbnails/" + "0" * 64 + ".jpg",
        "/items/1",
    ):
        assert site.request(path, headers=cross)[0] == 403, path
    navigate = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
    assert site.request("/items/1", headers=navigate)[0] == 200  # a link to a page may be followed
    assert site.request("/items/1/original", headers=navigate)[0] == 403
    own = {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "video"}
    assert site.request("/items/1/original", headers=own)[0] == 200
    assert head_seq(site.ws) == before


def test_a_running_server_sees_terms_and_tags_added_since_it_started(
    site: Site, catalogue: Catalogue
) -> None:
    assert re.findall(r'data-item="(\d+)"', site.page("/?tag=helmet")) == ["1"]  # the vocabulary is read
    status, _, body = site.request("/?tag=Q71+dressing")
    assert status == 400 and b"unknown term" in body
    catalogue.ok("terms", "add", "kit › Q71 dressing", "--alias", "пакет Q71", "--language", "ru")
    catalogue.ok("tag", "2", "пакет Q71")
    assert re.findall(r'data-item="(\d+)"', site.page("/?tag=Q71+dressing")) == ["2"]
    html = site.page("/items/2")  # "kit" is an alias of the starter vocabulary's "equipment"
    assert re.findall(r"<td>([^<]*Q71[^<]*)</td>", html) == ["equipment › Q71 dressing"]
