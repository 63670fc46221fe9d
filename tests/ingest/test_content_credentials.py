"""C2PA content credentials read at analysis: a manifest the test signs itself (a throwaway certificate,
on no trust list) is recorded with the item and shown by `show`, `provenance`, the report and the web
page; bytes changed after signing are said plainly (binding INVALID); a file without a manifest says
nothing; a garbled manifest gives one warning and the file is still preserved; `search --signed-by`."""

from __future__ import annotations

import hashlib
import http.client
import time
from pathlib import Path

import pytest
from c2pasign import altered, garbled, sign
from conftest import Catalogue
from library import opened
from mediagen import make_image, make_video

from evidence.media.credentials import read_credentials
from evidence.web.app import running


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("c2pa")
    plain = make_image(folder / "plain.jpg", seed=1)
    parent = make_image(folder / "parent.jpg", seed=2)
    signed = sign(make_image(folder / "source.jpg", seed=3), folder / "signed.jpg", ingredient=parent)
    return {
        "plain": plain,
        "signed": signed,
        "altered": altered(signed, folder / "altered.jpg"),
        "garbled": garbled(signed, folder / "garbled.jpg"),
    }


def test_reading_a_signed_file_gives_signer_tool_actions_ingredient_and_validity(
    media: dict[str, Path],
) -> None:
    before = hashlib.sha256(media["signed"].read_bytes()).hexdigest()
    started = time.perf_counter()
    found = read_credentials(media["signed"], "image/jpeg")
    assert time.perf_counter() - started < 5  # a generous bound: reading takes milliseconds
    assert found is not None
    assert (found["signer"], found["issuer"], found["claim_generator"]) == (
        "Jane Reporter",
        "Example News",
        "TestCam Editor 2.1",
    )
    assert [(a["action"], a["software"], a["ai_generated"]) for a in found["actions"]] == [
        ("created", "ImageGen 3", True),
        ("edited", "PhotoFix", False),
    ]
    assert found["actions"][1]["description"] == "cropped"
    assert found["ingredients"] == [
        {"title": "original.jpg", "format": "image/jpeg", "relationship": "parentOf"}
    ]
    assert (found["signature_valid"], found["binding_valid"], found["trusted"]) == (True, True, False)
    assert "signingCredential.untrusted" in found["codes"] and found["problem"] is None
    assert hashlib.sha256(media["signed"].read_bytes()).hexdigest() == before  # only read


def test_bytes_changed_after_signing_break_the_binding_not_the_signature(media: dict[str, Path]) -> None:
    found = read_credentials(media["altered"], "image/jpeg")
    assert found is not None
    assert (found["signature_valid"], found["binding_valid"]) == (True, False)
    assert "assertion.dataHash.mismatch" in found["codes"]


def test_no_manifest_reads_as_none_and_a_garbled_one_as_a_problem(media: dict[str, Path]) -> None:
    assert read_credentials(media["plain"], "image/jpeg") is None
    assert read_credentials(media["plain"], "text/plain") is None
    garbled_found = read_credentials(media["garbled"], "image/jpeg")
    assert garbled_found is not None and "unreadable" in garbled_found["problem"]


def test_show_provenance_and_report_say_who_signed_and_that_the_binding_holds(
    catalogue: Catalogue, media: dict[str, Path], tmp_path: Path
) -> None:
    added = catalogue.json("add", media["signed"])
    assert added["results"][0]["status"] == "added"
    shown = " ".join(catalogue.ok("show", "1").stdout.split())
    assert "content credentials" in shown and "signed by Jane Reporter (issuer Example News)" in shown
    assert "made with TestCam Editor 2.1" in shown
    assert "created (AI-generated) (ImageGen 3)" in shown and "edited (PhotoFix, cropped)" in shown
    assert "ingredients: original.jpg" in shown
    assert "signature valid, binding valid, certificate not on a trust list" in shown
    document = catalogue.json("show", "1")["content_credentials"]
    assert document["signer"] == "Jane Reporter" and document["ai_generated"] is True
    assert (document["signature_valid"], document["binding_valid"], document["trusted"]) == (
        True,
        True,
        False,
    )
    story = catalogue.ok("provenance", "1").stdout
    assert "content credentials of #1: signed by Jane Reporter" in story
    found = catalogue.json("provenance", "1")["content_credentials"]
    assert [c["item"]["id"] for c in found] == [1] and found[0]["binding_valid"] is True
    out = tmp_path / "report.html"
    catalogue.ok("report", "1", "-o", out)
    page = out.read_text()
    assert "content credentials (C2PA)" in page and "signed by Jane Reporter" in page
    events = catalogue.json("show", "1")["events"]
    analysed = [e for e in events if e["action"] == "analyse"]
    assert analysed and "content_credential:1" in str(analysed[-1]["details"]["records"])
    assert catalogue.json("verify")["ok"] is True


def test_bytes_changed_after_signing_are_said_plainly(catalogue: Catalogue, media: dict[str, Path]) -> None:
    catalogue.ok("add", media["altered"])
    shown = " ".join(catalogue.ok("show", "1").stdout.split())
    assert "binding INVALID: the bytes were changed after signing" in shown
    assert "signature valid" in shown
    document = catalogue.json("show", "1")["content_credentials"]
    assert document["binding_valid"] is False and document["signature_valid"] is True
    assert "binding INVALID" in document["summary"]


def test_a_file_without_a_manifest_says_nothing(catalogue: Catalogue, media: dict[str, Path]) -> None:
    result = catalogue.ok("add", media["plain"])
    assert "credential" not in result.output.lower()
    assert "content credentials" not in catalogue.ok("show", "1").stdout
    assert catalogue.json("show", "1")["content_credentials"] is None
    assert catalogue.json("provenance", "1")["content_credentials"] == []


def test_a_garbled_manifest_warns_once_and_the_file_is_preserved(
    sqlite_catalogue: Catalogue, media: dict[str, Path]
) -> None:
    result = sqlite_catalogue.run("add", media["garbled"])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if "C2PA" in line]
    assert len(warnings) == 1 and warnings[0].startswith("warning: ") and "preserved as #1" in warnings[0]
    assert "Traceback" not in result.output
    document = sqlite_catalogue.json("show", "1")
    assert document["analysis"] == "ok"
    assert "unreadable" in document["content_credentials"]["summary"]
    assert sqlite_catalogue.json("verify")["ok"] is True


def test_search_signed_by_finds_the_signer_literally_ignoring_case(
    catalogue: Catalogue, media: dict[str, Path]
) -> None:
    catalogue.ok("add", media["signed"], media["plain"])
    found = catalogue.json("search", "--signed-by", "jane REPORTER")
    assert [r["id"] for r in found["results"]] == [1]
    assert [r["id"] for r in catalogue.json("search", "--signed-by", "example news")["results"]] == [1]
    assert catalogue.json("search", "--signed-by", "%")["results"] == []
    assert catalogue.json("search", "--signed-by", "Jane", "--signed-by", "nobody")["results"] == []
    empty = catalogue.run("search", "--signed-by", " ")
    assert empty.exit_code == 2 and "--signed-by needs a value" in empty.stderr


def test_analyze_again_reads_the_same_credentials_without_a_new_record(
    sqlite_catalogue: Catalogue, media: dict[str, Path]
) -> None:
    sqlite_catalogue.ok("add", media["signed"])
    sqlite_catalogue.ok("analyze", "1")
    events = sqlite_catalogue.json("show", "1")["events"]
    recorded = [e for e in events if e["action"] == "analyse" and "content_credentials" in e["details"]]
    assert len(recorded) == 1


def test_a_signed_mp4_is_read_and_its_changed_bytes_said_plainly(
    sqlite_catalogue: Catalogue, tmp_path: Path
) -> None:
    clip = make_video(tmp_path / "clip.mp4", seconds=2.0, fps=10, size=(160, 96))
    signed = sign(clip, tmp_path / "signed.mp4", mime="video/mp4", signer="Field Camera 7")
    data = bytearray(signed.read_bytes())
    data[data.find(b"mdat") + 200] ^= 0xFF  # a byte of the video data, after signing
    (tmp_path / "changed.mp4").write_bytes(bytes(data))
    sqlite_catalogue.ok("add", signed, tmp_path / "changed.mp4")
    first = sqlite_catalogue.json("show", "1")["content_credentials"]
    assert first["signer"] == "Field Camera 7" and first["binding_valid"] is True
    changed = " ".join(sqlite_catalogue.ok("show", "2").stdout.split())  # as wrapped to the terminal
    assert (
        "signed by Field Camera 7" in changed
        and "binding INVALID: the bytes were changed after signing" in changed
    )
    assert [r["id"] for r in sqlite_catalogue.json("search", "--signed-by", "field camera")["results"]] == [
        1,
        2,
    ]


def test_manifest_text_is_escaped_on_terminals_and_in_html(
    sqlite_catalogue: Catalogue, tmp_path: Path
) -> None:
    source = make_image(tmp_path / "source.jpg", seed=4)
    signed = sign(
        source, tmp_path / "signed.jpg", signer="<b>Evil</b>\x1b[31m", generator="<script>x</script>"
    )
    sqlite_catalogue.ok("add", signed)
    shown = sqlite_catalogue.ok("show", "1").stdout
    assert "\x1b" not in shown and "\\x1b[31m" in shown
    out = tmp_path / "report.html"
    sqlite_catalogue.ok("report", "1", "-o", out)
    page = out.read_text()
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert "&lt;b&gt;Evil&lt;/b&gt;" in page


def test_the_web_item_page_says_the_credentials_escaped(
    sqlite_catalogue: Catalogue, media: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hostile = sign(
        make_image(tmp_path / "source.jpg", seed=6), tmp_path / "hostile.jpg", signer="<i>Mallory</i>"
    )
    sqlite_catalogue.ok("add", media["altered"], hostile)
    with opened(sqlite_catalogue, monkeypatch) as ws, running(ws, actor="tester") as server:
        host, port = server.server_address[:2]
        pages = []
        for item in (1, 2):
            connection = http.client.HTTPConnection(str(host), port, timeout=30)
            try:
                connection.request("GET", f"/items/{item}")
                response = connection.getresponse()
                assert response.status == 200
                pages.append(response.read().decode())
            finally:
                connection.close()
    assert "Content credentials (C2PA)" in pages[0]
    assert "binding INVALID: the bytes were changed after signing" in pages[0]
    assert "&lt;i&gt;Mallory&lt;/i&gt;" in pages[1] and "<i>Mallory</i>" not in pages[1]


def test_the_web_item_list_filters_by_signer(
    sqlite_catalogue: Catalogue, media: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    sqlite_catalogue.ok("add", media["plain"], media["signed"])
    with opened(sqlite_catalogue, monkeypatch) as ws, running(ws, actor="tester") as server:
        host, port = server.server_address[:2]
        connection = http.client.HTTPConnection(str(host), port, timeout=30)
        try:
            connection.request("GET", "/?signed_by=jane")
            page = connection.getresponse().read().decode()
        finally:
            connection.close()
    assert 'href="/items/2"' in page and 'href="/items/1"' not in page
