"""Trusted timestamps (RFC 3161): `evidence anchor --tsa URL` has a time-stamping authority sign the
anchor line and keeps its reply in the catalogue; `evidence verify --tsa-ca FILE` checks every kept
reply offline and says which authority vouched for which time. The authority is a local one the tests
build (`tests/tsa.py`: a throwaway CA and TSA certificate, `openssl ts -reply` behind an HTTP server on
127.0.0.1). A forger who rewrites the history and recomputes every hash is caught by the kept token,
with no anchor file kept anywhere; an authority that fails writes nothing."""

from __future__ import annotations

import base64
import socket
import subprocess
from pathlib import Path
from typing import Any

import bagit
import pytest
from conftest import Catalogue
from tampering import chain, current_digests, fill, rewrite, seq_of, tamper
from tsa import Authority, need_openssl, serving_tsa


@pytest.fixture
def pki(tmp_path: Path) -> Authority:
    need_openssl()
    folder = tmp_path / "pki"
    folder.mkdir()
    return Authority(folder)


@pytest.fixture
def filled(catalogue: Catalogue) -> dict[str, Any]:
    return fill(catalogue)


def _openssl_verifies(data: Path, reply: Path, ca: Path) -> bool:
    done = subprocess.run(
        ["openssl", "ts", "-verify", "-data", str(data), "-in", str(reply), "-CAfile", str(ca)],
        capture_output=True,
        text=True,
    )
    return done.returncode == 0 and "Verification: OK" in done.stdout


def _one_file(catalogue: Catalogue) -> None:
    (catalogue.home / "tip.txt").write_text("tip\n")
    catalogue.ok("add", catalogue.home / "tip.txt")


def _head(catalogue: Catalogue) -> int:
    return chain(catalogue)[-1].seq


def test_a_kept_token_verifies_offline_and_says_who_vouched_for_when(
    catalogue: Catalogue, filled: dict[str, Any], pki: Authority, tmp_path: Path
) -> None:
    cert, key = pki.tsa("Test TSA")
    anchor = tmp_path / "anchor.txt"
    with serving_tsa(pki.folder, cert, key) as tsa:
        doc = catalogue.json("anchor", "--tsa", tsa.url, "-o", anchor)
    line = anchor.read_text().strip()
    assert doc["anchor"] == line and len(tsa.queries) == 1
    [stamp] = doc["timestamps"]
    assert (stamp["tsa"], stamp["tsa_name"]) == (tsa.url, "CN=Test TSA")
    assert stamp["file"] == str(tmp_path / "anchor.txt.1.tsr")
    # the reply beside the anchor file is a standard token: OpenSSL checks it against the line as kept
    assert _openssl_verifies(anchor, tmp_path / "anchor.txt.1.tsr", pki.pem)
    [logged] = [r for r in chain(catalogue) if r.action == "anchor"]
    assert logged.seq == doc["logged_seq"]
    kept = base64.b64decode(logged.details["timestamps"][0]["reply"])
    assert kept == (tmp_path / "anchor.txt.1.tsr").read_bytes()

    checked = catalogue.run("verify", "--tsa-ca", pki.pem, "--anchor", anchor)
    assert checked.exit_code == 0, checked.output
    assert (
        f"timestamp: CN=Test TSA at {tsa.url} vouches that the chain up to event {doc['seq']} (your anchor) "
        f"existed at {stamp['gen_time']}: signature verified against --tsa-ca"
    ) in checked.stderr
    result = catalogue.json("verify", "--tsa-ca", pki.pem)
    [seen] = result["timestamps"]
    assert (seen["ok"], seen["gen_time"], seen["anchor_seq"], seen["problems"]) == (
        True,
        stamp["gen_time"],
        doc["seq"],
        [],
    )
    unchecked = catalogue.run("verify")  # no CA: the token is matched with its anchor, the signature not
    assert unchecked.exit_code == 0, unchecked.output
    assert "signature not checked (no --tsa-ca)" in unchecked.stderr
    assert "give --tsa-ca FILE" in unchecked.stderr


def test_a_rewritten_history_fails_against_its_kept_token_without_any_anchor_file(
    catalogue: Catalogue, filled: dict[str, Any], pki: Authority
) -> None:
    cert, key = pki.tsa("Test TSA")
    with serving_tsa(pki.folder, cert, key) as tsa:
        doc = catalogue.json("anchor", "--tsa", tsa.url)
    # the forger edits an acquisition long before the anchor, its digest in the event that recorded it,
    # and every hash after it: the chain walks cleanly on its own
    seq = seq_of(catalogue, "acquire")
    tamper(catalogue, [("UPDATE acquisition SET source_url = 'https://forged.example/' WHERE id = 1", {})])
    digests = current_digests(catalogue, [("acquisition", 1)])
    rewrite(
        catalogue, seq, lambda r: {**r.details, "source_url": "https://forged.example/", "records": digests}
    )
    result = catalogue.run("verify", "--tsa-ca", pki.pem)
    assert result.exit_code == 5, result.output
    assert (
        f"the timestamp from {tsa.url} over the anchor at event {doc['seq']}: custody event {doc['seq']} "
        "no longer has the hash and time the stamped anchor names"
    ) in result.stderr
    # the forger also puts the new hash into the kept anchor line: the token no longer stamps it
    anchor_seq = seq_of(catalogue, "anchor")
    new_hash = chain(catalogue)[doc["seq"] - 1].hash

    def forged_line(record: Any) -> dict[str, Any]:
        line = record.details["anchor"].replace(doc["hash"], new_hash)
        return {**record.details, "hash": new_hash, "anchor": line}

    rewrite(catalogue, anchor_seq, forged_line)
    problems = catalogue.json("verify", "--tsa-ca", pki.pem, code=5)["problems"]
    assert [p["message"].split(": ", 1)[1] for p in problems if p["kind"] == "timestamp"] == [
        "it stamps another message than the anchor line kept with it"
    ]


@pytest.mark.parametrize("mode", ["down", "http-error", "garbage", "other", "no-nonce"])
def test_an_authority_that_fails_writes_nothing_and_exits_4(
    sqlite_catalogue: Catalogue, pki: Authority, tmp_path: Path, mode: str
) -> None:
    catalogue = sqlite_catalogue
    _one_file(catalogue)
    cert, key = pki.tsa("Test TSA")
    before = _head(catalogue)
    anchor = tmp_path / "anchor.txt"
    with serving_tsa(pki.folder, cert, key, mode="good" if mode == "down" else mode) as good:
        if mode == "down":
            with socket.socket() as closed:  # a port that is bound but never listens
                closed.bind(("127.0.0.1", 0))
                down = f"http://127.0.0.1:{closed.getsockname()[1]}/tsr"
                result = catalogue.run("anchor", "--tsa", good.url, "--tsa", down, "-o", anchor)
        else:
            result = catalogue.run("anchor", "--tsa", good.url, "-o", anchor)
    assert result.exit_code == 4, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("evidence: time-stamping authority http://127.0.0.1:")
    assert lines[0].endswith("; no anchor was taken")
    expected = {
        "down": "the connection was refused",
        "http-error": "it answered HTTP 500",
        "garbage": "its answer is not an RFC 3161 reply this tool can read",
        "other": "it answered with a token for another message than the anchor line",
        "no-nonce": "its token does not carry the request's nonce",
    }[mode]
    assert expected in lines[0]
    assert _head(catalogue) == before and not anchor.exists() and not list(tmp_path.glob("*.tsr"))
    assert result.stdout == ""


def test_untrusted_and_expired_certificates_do_not_verify(
    sqlite_catalogue: Catalogue, pki: Authority, tmp_path: Path
) -> None:
    catalogue = sqlite_catalogue
    _one_file(catalogue)
    stranger = Authority(pki.folder, name="Someone Else Root")
    cert, key = pki.tsa("Test TSA")
    with serving_tsa(pki.folder, cert, key) as tsa:
        catalogue.ok("anchor", "--tsa", tsa.url)
        # checked before keeping: a CA that did not issue the authority's certificate refuses it
        before = _head(catalogue)
        refused = catalogue.run("anchor", "--tsa", tsa.url, "--tsa-ca", stranger.pem)
        assert refused.exit_code == 5, refused.output
        assert "does not verify against --tsa-ca" in refused.stderr and "nothing was kept" in refused.stderr
        assert _head(catalogue) == before
    untrusted = catalogue.json("verify", "--tsa-ca", stranger.pem, code=5)
    [seen] = untrusted["timestamps"]
    assert seen["ok"] is False and "its signature does not verify against --tsa-ca" in seen["problems"][0]
    assert "does not chain to a certificate authority in the bundle" in seen["problems"][0]  # said in words
    assert catalogue.json("verify", "--tsa-ca", pki.pem)["timestamps"][0]["ok"] is True

    old_cert, old_key = pki.tsa("Lapsed TSA", expired=True)  # its certificate ended yesterday
    with serving_tsa(pki.folder, old_cert, old_key) as lapsed:
        before = _head(catalogue)
        refused = catalogue.run("anchor", "--tsa", lapsed.url, "--tsa-ca", pki.pem)
        assert refused.exit_code == 5, refused.output
        assert _head(catalogue) == before
        catalogue.ok("anchor", "--tsa", lapsed.url)  # kept unchecked: no CA was given to check it with
    result = catalogue.run("verify", "--tsa-ca", pki.pem)
    assert result.exit_code == 5, result.output
    doc = catalogue.json("verify", "--tsa-ca", pki.pem, code=5)
    assert [t["ok"] for t in doc["timestamps"]] == [True, False]
    assert doc["timestamps"][1]["tsa_name"] == "CN=Lapsed TSA"


def test_a_bag_carries_the_tokens_for_openssl(
    sqlite_catalogue: Catalogue, pki: Authority, tmp_path: Path
) -> None:
    catalogue = sqlite_catalogue
    _one_file(catalogue)
    cert, key = pki.tsa("Test TSA")
    with serving_tsa(pki.folder, cert, key) as tsa:
        doc = catalogue.json("anchor", "--tsa", tsa.url, "--tsa", tsa.url)
    catalogue.ok("export", "--bagit", tmp_path / "bag")
    bag = bagit.Bag(str(tmp_path / "bag"))
    bag.validate()
    folder = tmp_path / "bag" / "evidence" / "timestamps"
    line = folder / f"anchor-{doc['seq']}.txt"
    replies = sorted(folder.glob(f"anchor-{doc['seq']}-{doc['logged_seq']}-*.tsr"))
    assert line.read_text() == doc["anchor"] + "\n" and len(replies) == 2
    assert all(_openssl_verifies(line, reply, pki.pem) for reply in replies)
    assert f"evidence/timestamps/{line.name}" in (tmp_path / "bag" / "tagmanifest-sha256.txt").read_text()
    assert "openssl ts -verify" in (tmp_path / "bag" / "evidence" / "README.txt").read_text()


def test_bad_authority_links_and_bundles_are_refused_before_anything_is_asked(
    sqlite_catalogue: Catalogue, tmp_path: Path
) -> None:
    catalogue = sqlite_catalogue
    before = _head(catalogue)
    for url in ("javascript:alert(1)", "file:///etc/passwd", "http://", "ftp://tsa.example/"):
        result = catalogue.run("anchor", "--tsa", url)
        assert result.exit_code == 2, result.output
        assert "a time-stamping authority is an http or https link" in result.stderr
    not_pem = tmp_path / "bundle.pem"
    not_pem.write_text("no certificate here\n")
    for bundle, said in (
        (not_pem, "no certificate could be read"),
        (tmp_path / "missing.pem", "cannot read"),
    ):
        for command in (("anchor", "--tsa", "http://127.0.0.1:9/"), ("verify",)):
            result = catalogue.run(*command, "--tsa-ca", bundle)
            assert result.exit_code == 2, result.output
            assert said in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert _head(catalogue) == before
    alone = catalogue.run("anchor", "--tsa-ca", not_pem)
    assert alone.exit_code == 2 and "give the time-stamping authority too" in alone.stderr
    assert _head(catalogue) == before
