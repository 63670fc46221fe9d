"""`evidence capture URL…` against a site the test serves on 127.0.0.1: the media, the page as served
(WACZ), the metadata and the acquisition; failures each with one line and their exit code."""

from __future__ import annotations

import hashlib
import io
import json
import socket
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Catalogue, _initialised
from mediagen import make_audio, make_hls_playlist, make_image, make_video
from tsa import need_openssl
from warcio.archiveiterator import ArchiveIterator
from website import Route, Site, serving

from evidence.ingest.web.wacz import validate

NO_BROWSER = {"EVIDENCE_CHROMIUM": "/nonexistent/chromium"}


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    media = tmp_path / "media"
    media.mkdir()
    with serving() as site:
        site.file("/clip.mp4", make_video(media / "clip.mp4", seconds=2.0, seed=1), "video/mp4")
        site.file("/other.mp4", make_video(media / "other.mp4", seconds=2.0, seed=2), "video/mp4")
        site.file("/photo.jpg", make_image(media / "photo.jpg", seed=3), "image/jpeg")
        for number in range(2):
            segment = make_video(media / f"seg{number}.ts", seconds=1.0, seed=10 + number)
            site.file(f"/seg{number}.ts", segment, "video/mp2t")
        playlist = make_hls_playlist(media / "list.m3u8", ["seg0.ts", "seg1.ts"], seconds=1.0)
        site.file("/list.m3u8", playlist, "application/vnd.apple.mpegurl")
        site.page(
            "/post",
            '<html><head><title>A post</title><meta property="og:image" content="/photo.jpg"></head>'
            '<body><h1>Five soldiers</h1><video src="/clip.mp4"></video><video src="/other.mp4"></video>'
            "</body></html>",
        )
        yield site


def capture(cat: Catalogue, *args: str, env: dict[str, str | None] | None = None, code: int = 0) -> dict:
    result = cat.run("capture", *args, "--json", env=env)
    assert result.exit_code == code, result.output
    document: dict = json.loads(result.stdout)
    return document


def stored(cat: Catalogue, sha256: str) -> Path:
    return cat.root / "store" / "objects" / sha256[:2] / sha256[2:4] / sha256


def acquisitions(cat: Catalogue, item_id: int) -> list[dict]:
    shown: list[dict] = cat.json("show", str(item_id))["acquisitions"]
    return shown


def verify_clean(cat: Catalogue) -> None:
    result = cat.run("verify")
    assert result.exit_code == 0, result.output


def test_a_post_with_two_videos_and_a_photo_is_captured_whole(catalogue: Catalogue, site: Site) -> None:
    sqlite_catalogue = catalogue  # on each backend
    url = site.url("/post")
    doc = capture(
        sqlite_catalogue, url, "--collected-by", "analyst A", "--note", "from the tip line", env=NO_BROWSER
    )
    (one,) = doc["captures"]
    assert one["outcome"] == "captured" and one["http_status"] == 200 and one["final_url"] == url
    served = {site.routes[p].body for p in ("/clip.mp4", "/other.mp4", "/photo.jpg")}
    taken = {stored(sqlite_catalogue, m["sha256"]).read_bytes() for m in one["media"]}
    assert taken == served  # the exact bytes, each its own item
    assert sorted(m["kind"] for m in one["media"]) == ["image", "video", "video"]
    assert one["page"]["analysis"] == one["metadata"]["analysis"] == "ok"  # nothing left pending
    for media in one["media"]:
        (acq,) = acquisitions(sqlite_catalogue, media["id"])
        assert acq["source_url"] == url
        assert acq["collected_by"] == "analyst A" and acq["note"] == "from the tip line"
    metadata = json.loads(stored(sqlite_catalogue, one["metadata"]["sha256"]).read_text())
    assert metadata["http_status"] == 200 and metadata["final_url"] == url
    assert ["Content-Type", "text/html; charset=utf-8"] in metadata["response_headers"]
    assert metadata["platform"]["extractor"]  # yt-dlp's own metadata of the page, kept whole
    assert one["screenshot"] is None and "no Chromium" in one["screenshot_note"]
    verify_clean(sqlite_catalogue)


def test_the_page_is_kept_as_a_wacz_that_validates_and_replays_the_html(
    sqlite_catalogue: Catalogue, site: Site
) -> None:
    url = site.url("/post")
    doc = capture(sqlite_catalogue, url, "--no-analysis", env=NO_BROWSER)
    wacz = stored(sqlite_catalogue, doc["captures"][0]["page"]["sha256"])
    assert validate(wacz)
    with zipfile.ZipFile(wacz) as archive:
        pages = [json.loads(line) for line in archive.read("pages/pages.jsonl").splitlines()[1:]]
        assert [p["url"] for p in pages] == [url]
        (warc_name,) = [n for n in archive.namelist() if n.startswith("archive/")]
        warc = archive.read(warc_name)
    responses = {
        r.rec_headers.get_header("WARC-Target-URI"): r.content_stream().read()
        for r in ArchiveIterator(io.BytesIO(warc))
        if r.rec_type == "response"
    }
    assert responses[url] == site.routes["/post"].body


def test_a_direct_link_an_hls_playlist_and_an_og_video_page(sqlite_catalogue: Catalogue, site: Site) -> None:
    site.page(
        "/og", '<html><head><meta property="og:video" content="/other.mp4"></head><body>x</body></html>'
    )
    doc = capture(
        sqlite_catalogue, site.url("/clip.mp4"), site.url("/list.m3u8"), site.url("/og"), env=NO_BROWSER
    )
    direct, hls, og = doc["captures"]
    assert [m["sha256"] for m in direct["media"]] == [
        hashlib.sha256(site.routes["/clip.mp4"].body).hexdigest()
    ]
    assert direct["screenshot_note"] is None  # a media file has no page to photograph
    (video,) = hls["media"]
    assert video["kind"] == "video" and video["analysis"] == "ok"
    segments = site.routes["/seg0.ts"].body + site.routes["/seg1.ts"].body
    assert video["sha256"] == hashlib.sha256(segments).hexdigest()  # every segment, in order
    assert video["path"].endswith(".ts")  # joined segments are MPEG-TS, named so
    assert [m["sha256"] for m in og["media"]] == [hashlib.sha256(site.routes["/other.mp4"].body).hexdigest()]


MPD = """<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT2S" minBufferTime="PT1S"
 profiles="urn:mpeg:dash:profile:isoff-on-demand:2011"><Period>
<AdaptationSet mimeType="video/mp4" contentType="video"><Representation id="v" bandwidth="500000"
 codecs="avc1.42E01E" width="320" height="240"><BaseURL>picture.mp4</BaseURL></Representation></AdaptationSet>
<AdaptationSet mimeType="audio/mp4" contentType="audio"><Representation id="a" bandwidth="64000"
 codecs="mp4a.40.2" audioSamplingRate="48000"><BaseURL>sound.m4a</BaseURL></Representation></AdaptationSet>
</Period></MPD>"""


def test_picture_and_sound_served_apart_are_put_together(
    sqlite_catalogue: Catalogue, site: Site, tmp_path: Path
) -> None:
    site.file("/picture.mp4", make_video(tmp_path / "picture.mp4", seconds=2.0, seed=7), "video/mp4")
    site.file("/sound.m4a", make_audio(tmp_path / "sound.m4a", seconds=2.0), "audio/mp4")
    site.routes["/post.mpd"] = Route(body=MPD.encode(), content_type="application/dash+xml")
    (one,) = capture(sqlite_catalogue, site.url("/post.mpd"), env=NO_BROWSER)["captures"]
    (video,) = one["media"]
    shown = sqlite_catalogue.json("show", str(video["id"]))
    assert sorted(s["type"] for s in shown["probe"]["streams"]) == ["audio", "video"]
    assert shown["summary"]["duration"] == pytest.approx(2.0, abs=0.1)
    metadata = json.loads(stored(sqlite_catalogue, one["metadata"]["sha256"]).read_text())
    assert metadata["picture_and_sound_put_together"] is True


def test_redirects_are_followed_and_recorded_and_a_loop_is_refused(
    sqlite_catalogue: Catalogue, site: Site
) -> None:
    site.redirect("/short", "/moved")
    site.redirect("/moved", "/post", status=301)
    doc = capture(sqlite_catalogue, site.url("/short"), "--no-analysis", env=NO_BROWSER)
    (one,) = doc["captures"]
    assert one["final_url"] == site.url("/post") and len(one["media"]) == 3
    metadata = json.loads(stored(sqlite_catalogue, one["metadata"]["sha256"]).read_text())
    assert metadata["redirects"] == [site.url("/short"), site.url("/moved")]
    (acq,) = acquisitions(sqlite_catalogue, one["media"][0]["id"])
    assert acq["source_url"] == site.url("/short")  # the link as given

    site.redirect("/a", "/b")
    site.redirect("/b", "/a")
    result = sqlite_catalogue.run("capture", site.url("/a"), env=NO_BROWSER)
    assert result.exit_code == 2
    assert "redirect loop" in result.stderr and len(result.stderr.strip().splitlines()) == 2
    verify_clean(sqlite_catalogue)


@pytest.mark.parametrize("status", [404, 410, 451])
def test_an_http_error_keeps_the_page_and_exits_2(
    sqlite_catalogue: Catalogue, site: Site, status: int
) -> None:
    site.page("/gone", "<html><body>This post was removed</body></html>", status=status)
    result = sqlite_catalogue.run("capture", site.url("/gone"), "--json", env=NO_BROWSER)
    assert result.exit_code == 2
    assert f"HTTP {status}" in result.stderr.splitlines()[0]
    (one,) = json.loads(result.stdout)["captures"]
    assert one["outcome"] == "http-error" and one["media"] == []
    wacz = stored(sqlite_catalogue, one["page"]["sha256"])
    assert validate(wacz)  # the take-down notice, as served, is evidence too
    verify_clean(sqlite_catalogue)


def test_a_login_wall_is_said_as_such(sqlite_catalogue: Catalogue, site: Site) -> None:
    site.page("/private", "<html><body><form>Log in to see this post</form></body></html>", status=403)
    result = sqlite_catalogue.run("capture", site.url("/private"), env=NO_BROWSER)
    assert result.exit_code == 2
    assert "HTTP 403" in result.stderr and "it may need a login" in result.stderr


def test_a_page_without_media_keeps_the_page_and_says_so(sqlite_catalogue: Catalogue, site: Site) -> None:
    site.page("/text", "<html><body><p>Only words here.</p></body></html>")
    result = sqlite_catalogue.run("capture", site.url("/text"), env=NO_BROWSER)
    assert result.exit_code == 2
    assert "no media found on the page" in result.stderr
    assert "page-text.wacz" in result.stdout


def test_a_server_that_stalls_times_out_with_exit_4(sqlite_catalogue: Catalogue, site: Site) -> None:
    site.routes["/slow"] = Route(stall=True)
    result = sqlite_catalogue.run("capture", site.url("/slow"), "--timeout", "1", env=NO_BROWSER)
    assert result.exit_code == 4
    assert "no answer within 1 s" in result.stderr


def test_unreachable_hosts_exit_4(sqlite_catalogue: Catalogue, site: Site) -> None:
    result = sqlite_catalogue.run("capture", "http://host.invalid/post", env=NO_BROWSER)
    assert result.exit_code == 4, (result.output, result.exception)
    assert "does not resolve" in result.stderr


def test_tls_failures_and_a_refused_connection_exit_4(
    sqlite_catalogue: Catalogue, site: Site, tmp_path: Path
) -> None:
    """A server that cannot be reached safely is one line and exit 4, and nothing is kept of it: https
    to a server that speaks plain HTTP, a certificate nobody vouches for, a port nobody listens on."""
    need_openssl()  # a throwaway certificate
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    throwaway = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
    throwaway += ["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)]
    subprocess.run(["openssl", *throwaway], check=True, capture_output=True)
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{unused.getsockname()[1]}/post"  # bound, never listening
        with serving(tls=(cert, key)) as secure:
            secure.file("/clip.mp4", make_video(tmp_path / "clip.mp4", seconds=1.0, seed=4), "video/mp4")
            cases = [
                (site.url("/clip.mp4").replace("http://", "https://"), "TLS failed"),
                (secure.url("/clip.mp4"), "certificate verify failed"),
                (refused, "the connection was refused"),
            ]
            for url, reason in cases:
                result = sqlite_catalogue.run("capture", url, env=NO_BROWSER)
                assert result.exit_code == 4, (url, result.output)
                (line,) = [x for x in result.stderr.splitlines() if x.startswith("capture of")]
                assert line.startswith(f"capture of {url} failed: ") and reason in line, line
            assert secure.requests == []  # the handshake failed before any request was sent
    assert sqlite_catalogue.json("list")["items"] == []  # nothing preserved from any of them
    verify_clean(sqlite_catalogue)


def test_a_content_type_that_lies_does_not_decide_what_is_media(
    sqlite_catalogue: Catalogue, site: Site
) -> None:
    site.routes["/video-as-html"] = Route(body=site.routes["/clip.mp4"].body, content_type="text/html")
    site.routes["/html-as-video"] = Route(body=b"<html><body>hello</body></html>", content_type="video/mp4")
    result = sqlite_catalogue.run(
        "capture", site.url("/video-as-html"), site.url("/html-as-video"), "--json", env=NO_BROWSER
    )
    video, html = json.loads(result.stdout)["captures"]
    assert [m["kind"] for m in video["media"]] == ["video"]
    assert video["screenshot_note"] is None  # its bytes are a video: no page to photograph
    assert html["media"] == [] and html["outcome"] == "no-media"
    assert result.exit_code == 2


def test_a_body_over_max_bytes_is_not_kept(sqlite_catalogue: Catalogue, site: Site) -> None:
    size = len(site.routes["/clip.mp4"].body)
    doc = capture(
        sqlite_catalogue, site.url("/clip.mp4"), "--max-bytes", str(size - 1), env=NO_BROWSER, code=2
    )
    (one,) = doc["captures"]
    assert one["outcome"] == "refused" and one["media"] == []
    assert "larger than --max-bytes" in one["problem"]
    served = hashlib.sha256(site.routes["/clip.mp4"].body).hexdigest()
    assert not stored(sqlite_catalogue, served).exists()
    assert one["page"]["size"] < size // 2  # the exchange's record, not a cut-off part of the body
    # on a page, yt-dlp's download of a media file is held to the same limit
    doc = capture(sqlite_catalogue, site.url("/post"), "--max-bytes", "1000", env=NO_BROWSER, code=2)
    assert doc["captures"][0]["media"] == []
    assert "larger than --max-bytes" in doc["captures"][0]["problem"]
    verify_clean(sqlite_catalogue)


@pytest.mark.parametrize("bad", ["javascript:alert(1)", "file:///etc/passwd", "ftp://example.org/x.mp4"])
def test_other_schemes_are_refused_before_any_request(
    sqlite_catalogue: Catalogue, site: Site, bad: str
) -> None:
    before = sqlite_catalogue.json("verify")["events_checked"]
    result = sqlite_catalogue.run("capture", site.url("/post"), bad, env=NO_BROWSER)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"evidence: refused {bad}: only http and https links are captured (this is {bad.split(':')[0]})"
    ]
    assert site.requests == []  # not even the good link was fetched
    assert sqlite_catalogue.json("verify")["events_checked"] == before + 1  # only verify's own event


def test_capturing_again_makes_a_new_capture_of_the_same_media(
    sqlite_catalogue: Catalogue, site: Site
) -> None:
    first = capture(sqlite_catalogue, site.url("/clip.mp4"), "--no-analysis", env=NO_BROWSER)["captures"][0]
    second = capture(sqlite_catalogue, site.url("/clip.mp4"), "--no-analysis", env=NO_BROWSER)["captures"][0]
    assert second["capture_id"] == first["capture_id"] + 1
    assert second["media"][0]["id"] == first["media"][0]["id"]
    assert second["media"][0]["status"] == "duplicate"
    assert second["page"]["id"] != first["page"]["id"]  # a new snapshot of the exchange, at its own time
    assert len(acquisitions(sqlite_catalogue, first["media"][0]["id"])) == 2
    verify_clean(sqlite_catalogue)


def test_links_can_come_from_a_file(sqlite_catalogue: Catalogue, site: Site, tmp_path: Path) -> None:
    links = tmp_path / "links.txt"
    links.write_text(f"# from the tip line\n{site.url('/clip.mp4')}\n\n{site.url('/photo.jpg')}\n")
    doc = capture(sqlite_catalogue, "--from", str(links), "--no-analysis", env=NO_BROWSER)
    assert [c["url"] for c in doc["captures"]] == [site.url("/clip.mp4"), site.url("/photo.jpg")]


def test_the_screenshot_is_a_png_of_the_whole_page(sqlite_catalogue: Catalogue, site: Site) -> None:
    from evidence.ingest.web.screenshot import find_chromium

    if find_chromium() is None:
        pytest.skip("no Chromium here (apt-get install chromium; CI installs it)")
    from PIL import Image

    tall = (
        "<html><body style='margin:0'><div style='height:3000px;background:#c00'>top</div>end</body></html>"
    )
    site.page("/tall", tall)
    doc = capture(sqlite_catalogue, site.url("/tall"), "--no-analysis", code=2)  # no media on it
    shot = doc["captures"][0]["screenshot"]
    with Image.open(stored(sqlite_catalogue, shot["sha256"])) as picture:
        assert picture.format == "PNG"
        assert picture.height >= 3000  # the full height, not the window
        assert picture.getpixel((600, 1500))[:3] == (204, 0, 0)


@pytest.mark.parametrize("error", ["ENOSPC", "EIO"])
def test_a_capture_cut_off_at_its_commit_leaves_nothing_partial(
    sqlite_catalogue: Catalogue, site: Site, error: str
) -> None:
    events = sqlite_catalogue.json("verify")["events_checked"]
    result = sqlite_catalogue.run(
        "capture", site.url("/post"), env={**NO_BROWSER, "EVIDENCE_TEST_FAIL_AT": f"commit:{error}"}
    )
    assert result.exit_code == 4, result.output
    (line,) = result.stderr.strip().splitlines()
    assert "nothing was recorded" in line and "store/orphans/" in line
    store = sqlite_catalogue.root / "store"
    assert [p for p in (store / "objects").rglob("*") if p.is_file()] == []
    assert len([p for p in (store / "orphans").iterdir()]) == 5  # page, metadata, two videos, photo
    assert sqlite_catalogue.json("list")["items"] == []
    assert sqlite_catalogue.json("verify")["events_checked"] == events + 1  # the first verify's event
    again = capture(sqlite_catalogue, site.url("/post"), "--no-analysis", env=NO_BROWSER)
    assert len(again["captures"][0]["media"]) == 3


def test_show_provenance_report_and_exports_carry_the_captured_page(
    sqlite_catalogue: Catalogue, site: Site, tmp_path: Path
) -> None:
    cat = sqlite_catalogue
    site.page(
        "/hostile",
        '<html><head><title>"><script>alert(1)</script></title></head>'
        '<body><video src="/clip.mp4"></video></body></html>',
    )
    one = capture(cat, site.url("/hostile"), "--no-analysis", env=NO_BROWSER)["captures"][0]
    media_id, page = one["media"][0]["id"], one["page"]
    (seen,) = cat.json("show", str(media_id))["captures"]
    assert seen["role"] == "media" and seen["url"] == site.url("/hostile")
    assert seen["page"] == {"id": page["id"], "sha256": page["sha256"]}
    assert seen["platform_metadata"]["extractor"]
    assert "upload_date" not in seen["platform_metadata"]  # a web server's Last-Modified is no posting date
    assert [c["role"] for c in cat.json("show", str(page["id"]))["captures"]] == ["page"]
    shown = cat.ok("show", str(media_id)).stdout
    assert f"capture {one['capture_id']} (media): {site.url('/hostile')}" in shown

    (traced,) = cat.json("provenance", str(media_id))["captures"]
    assert traced["items"] == [media_id] and traced["metadata"]["id"] == one["metadata"]["id"]

    report = tmp_path / "report.html"
    cat.ok("report", str(media_id), "-o", report)
    html = report.read_text()
    assert "Captured from links (1)" in html and page["sha256"] in html
    assert "<script>alert" not in html

    exported = json.loads(cat.ok("export", str(media_id)).stdout)
    assert {i["id"] for i in exported["items"]} == {media_id, page["id"], one["metadata"]["id"]}
    (record,) = exported["captures"]
    assert record["page_item_id"] == page["id"] and [m["item_id"] for m in record["media"]] == [media_id]
    bag = tmp_path / "bag"
    cat.ok("export", "--bagit", bag, str(media_id))
    manifest = (bag / "manifest-sha256.txt").read_text()
    assert page["sha256"] in manifest and one["metadata"]["sha256"] in manifest


def test_a_manifest_mixes_files_and_links_each_with_its_own_details(
    sqlite_catalogue: Catalogue, site: Site, tmp_path: Path
) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    make_video(folder / "own.mp4", seconds=1.0, seed=20)
    manifest = folder / "m.csv"
    manifest.write_text(
        "path,url,source_url,posted_at,claimed_by,collected_by,note,channel\n"
        f"own.mp4,,https://agency.example/1,2016-03-24,Agency,analyst A,from a USB stick,\n"
        f",{site.url('/clip.mp4')},,2016-03-23T09:30Z,Amaq,analyst B,the first post,telegram\n"
        f",{site.url('/post')},https://mirror.example/p/2,,,analyst B,,\n"
    )
    doc = sqlite_catalogue.json("add", "--manifest", manifest, "--no-analysis")
    assert [r["status"] for r in doc["results"]] == ["added"]
    direct, post = doc["captures"]
    assert direct["outcome"] == "captured" and post["outcome"] == "captured" and len(post["media"]) == 3
    acq = acquisitions(sqlite_catalogue, direct["media"][0]["id"])[0]  # the post holds the clip too
    assert acq["source_url"] == site.url("/clip.mp4")  # the link, when the row names no other source
    assert acq["posted_at"] == "2016-03-23T09:30:00Z" and acq["claimed_by"] == "Amaq"
    assert acq["collected_by"] == "analyst B" and acq["note"] == "the first post"
    shown = sqlite_catalogue.json("show", str(direct["media"][0]["id"]))["acquisitions"][0]
    assert shown["manifest"]["line"] == 3 and shown["manifest"]["extra"] == {"channel": "telegram"}
    for media in post["media"]:
        assert acquisitions(sqlite_catalogue, media["id"])[-1]["source_url"] == "https://mirror.example/p/2"
    verify_clean(sqlite_catalogue)


def test_capture_puts_what_it_preserved_in_a_case(sqlite_catalogue: Catalogue, site: Site) -> None:
    refused = sqlite_catalogue.run("capture", site.url("/post"), "--case", "Palmyra", env=NO_BROWSER)
    assert refused.exit_code == 2 and site.requests == []  # an unknown case refuses before any request
    sqlite_catalogue.ok("case", "new", "Palmyra")
    one = capture(sqlite_catalogue, site.url("/post"), "--case", "Palmyra", "--no-analysis", env=NO_BROWSER)
    taken = {f["id"] for f in (one["captures"][0]["page"], one["captures"][0]["metadata"])}
    taken |= {m["id"] for m in one["captures"][0]["media"]}
    listed = sqlite_catalogue.json("list", "--case", "Palmyra")["items"]
    assert {i["id"] for i in listed} == taken


def test_a_platforms_own_time_and_uploader_are_read_and_a_web_servers_are_not() -> None:
    from evidence.ingest.web.gather import _posted
    from evidence.ingest.web.media import Media

    posted = _posted({"timestamp": 1458813600, "upload_date": "20160324"})
    assert posted is not None and posted.at.isoformat() == "2016-03-24T10:00:00+00:00"
    assert posted.precision == "second"
    day = _posted({"upload_date": "20160324"})
    assert day is not None and day.precision == "day"
    assert _posted({"upload_date": "2016-03-24"}) is None and _posted({"timestamp": -5}) is None
    assert Media(info={"extractor_key": "Youtube"}).platform == "Youtube"
    assert Media(info={"extractor_key": "Generic"}).platform is None  # a page, not a platform
    assert Media(info={"extractor_key": "HTML5MediaEmbed"}).platform is None


def test_what_the_browser_loaded_for_the_page_is_in_its_wacz(sqlite_catalogue: Catalogue, site: Site) -> None:
    from evidence.ingest.web.screenshot import find_chromium

    if find_chromium() is None:
        pytest.skip("no Chromium here (apt-get install chromium; CI installs it)")
    site.routes["/style.css"] = Route(body=b"body { background: #0a0; }", content_type="text/css")
    site.page(
        "/styled",
        '<html><head><link rel="stylesheet" href="/style.css"></head>'
        '<body><img src="/photo.jpg"><p>A post</p>'
        '<video src="/clip.mp4" autoplay muted></video></body></html>',
    )
    one = capture(sqlite_catalogue, site.url("/styled"), "--no-analysis")["captures"][0]
    with zipfile.ZipFile(stored(sqlite_catalogue, one["page"]["sha256"])) as archive:
        (warc_name,) = [n for n in archive.namelist() if n.startswith("archive/")]
        warc = archive.read(warc_name)
    responses = {
        r.rec_headers.get_header("WARC-Target-URI"): r.content_stream().read()
        for r in ArchiveIterator(io.BytesIO(warc))
        if r.rec_type == "response"
    }
    assert responses[site.url("/style.css")] == site.routes["/style.css"].body
    assert responses[site.url("/photo.jpg")] == site.routes["/photo.jpg"].body
    assert responses[site.url("/styled")] == site.routes["/styled"].body
    assert site.url("/clip.mp4") not in responses  # the video is its own item, not a second copy here
    assert [m["sha256"] for m in one["media"]] == [hashlib.sha256(site.routes["/clip.mp4"].body).hexdigest()]
    assert validate(stored(sqlite_catalogue, one["page"]["sha256"]))


def test_a_pages_own_photos_are_read_from_its_meta_tags_only() -> None:
    from evidence.ingest.web.media import page_images

    html = (
        '<html><head><meta property="og:image" content="/a.jpg?x=1&amp;y=2">'
        "<meta name='twitter:image' content='https://cdn.example/b.png'>"
        '<meta property="og:image" content="javascript:alert(1)"><meta property="og:image" content="data:,x">'
        '</head><body><img src="/logo.png"></body></html>'
    )
    assert page_images(html, "http://site.example/p/1") == [
        "http://site.example/a.jpg?x=1&y=2",
        "https://cdn.example/b.png",
    ]
    assert page_images("<meta " * 200_000 + '><meta property="og:image" content="/c.jpg">', "http://s/") == [
        "http://s/c.jpg"
    ]


def test_captured_media_on_a_partners_hash_list_is_said_to_be_known(
    sqlite_catalogue: Catalogue, site: Site, tmp_path: Path
) -> None:
    listed = tmp_path / "theirs.txt"  # the partner's list holds the photo (their own hash of it)
    partner = _initialised(tmp_path / "partner", "sqlite", None)
    partner.ok("add", tmp_path / "media" / "photo.jpg")
    partner.ok("hashes", "export", "--format", "threatexchange", "-o", listed)
    sqlite_catalogue.ok("hashes", "import", listed, "--list", "partner photos")
    for _ in range(2):  # captured new, then captured again (already catalogued): known both times
        doc = capture(sqlite_catalogue, site.url("/photo.jpg"), site.url("/clip.mp4"), env=NO_BROWSER)
        photo, clip = (c["media"][0] for c in doc["captures"])
        assert [(k["list"], k["distance"]) for k in photo["known"]] == [("partner photos", 0)]
        assert clip["known"] == []
    printed = sqlite_catalogue.run("capture", site.url("/photo.jpg"), env=NO_BROWSER)
    assert printed.exit_code == 0 and "known: on hash list partner photos as " in printed.stdout
