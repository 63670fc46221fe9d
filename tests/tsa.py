"""A local RFC 3161 time-stamping authority for the tests: a throwaway CA and TSA certificate made here,
and `openssl ts -reply` answering the queries POSTed to an HTTP server on 127.0.0.1. Never the
internet. `mode` says how it answers: "good", "other" (a token over another message), "no-nonce" (a
token over the caller's message without the request's nonce, as a stale reply would be), "http-error",
"garbage" (bytes that are no RFC 3161 reply)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from certs import self_signed_ca
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def need_openssl() -> str:
    """The `openssl` command (the local TSA's `openssl ts`, throwaway certificates): the test skips
    without it, or fails where `EVIDENCE_TEST_OPENSSL=required` (set by .ci/run, which installs it)."""
    found = shutil.which("openssl")
    if found is None:
        reason = "no `openssl` command here (apt-get install openssl)"
        if os.environ.get("EVIDENCE_TEST_OPENSSL") == "required":
            pytest.fail(f"{reason}, and EVIDENCE_TEST_OPENSSL=required")
        pytest.skip(reason)
    return found


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@dataclass
class Authority:
    """A CA that issues time-stamping certificates, written as PEM files under `folder`."""

    folder: Path
    name: str = "Test TSA Root"
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))

    def __post_init__(self) -> None:
        self.cert = self_signed_ca(_name(self.name), self.key)
        self.pem = self.folder / f"{self.name.replace(' ', '-')}.pem"
        self.pem.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    def tsa(self, cn: str, *, expired: bool = False) -> tuple[Path, Path]:
        """A time-stamping certificate and its key (files); `expired`: it ended yesterday."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        start, end = (
            (now - dt.timedelta(days=2), now - dt.timedelta(days=1))
            if expired
            else (
                now - dt.timedelta(days=1),
                now + dt.timedelta(days=30),
            )
        )
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(cn))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        stem = self.folder / cn.replace(" ", "-")
        cert_file, key_file = stem.with_suffix(".pem"), stem.with_suffix(".key")
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        return cert_file, key_file


@dataclass
class LocalTSA:
    url: str
    config: Path
    mode: str = "good"
    queries: list[bytes] = field(default_factory=list)


def _config(folder: Path, cert: Path, key: Path) -> Path:
    (folder / "serial").write_text("01\n")
    config = folder / "ts.cnf"
    config.write_text(
        "[ tsa ]\ndefault_tsa = tsa1\n[ tsa1 ]\n"
        f"serial = {folder / 'serial'}\nsigner_cert = {cert}\nsigner_key = {key}\n"
        "signer_digest = sha256\ndefault_policy = 1.2.3.4.1\ndigests = sha256, sha384, sha512\n"
        "accuracy = secs:1\nordering = yes\ntsa_name = yes\ness_cert_id_alg = sha256\n"
    )
    return config


SHA256_OID = bytes.fromhex("0609608648016503040201")  # the DER of 2.16.840.1.101.3.4.2.1


def _reply(tsa: LocalTSA, query: bytes) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        q, r = Path(tmp) / "q.tsq", Path(tmp) / "r.tsr"
        if tsa.mode == "no-nonce":  # the caller's message, but a query of its own (no nonce): a stale reply
            digest = query[query.index(SHA256_OID) + len(SHA256_OID) :]
            digest = digest[digest.index(b"\x04\x20") + 2 :][:32]
            subprocess.run(
                [
                    "openssl",
                    "ts",
                    "-query",
                    "-digest",
                    digest.hex(),
                    "-sha256",
                    "-no_nonce",
                    "-cert",
                    "-out",
                    str(q),
                ],
                check=True,
                capture_output=True,
            )
        elif tsa.mode == "other":  # a token over another message (and without the caller's nonce)
            (Path(tmp) / "other").write_bytes(b"another message\n")
            subprocess.run(
                [
                    "openssl",
                    "ts",
                    "-query",
                    "-data",
                    str(Path(tmp) / "other"),
                    "-sha256",
                    "-cert",
                    "-out",
                    str(q),
                ],
                check=True,
                capture_output=True,
            )
        else:
            q.write_bytes(query)
        subprocess.run(
            ["openssl", "ts", "-reply", "-config", str(tsa.config), "-queryfile", str(q), "-out", str(r)],
            check=True,
            capture_output=True,
        )
        return r.read_bytes()


@contextmanager
def serving_tsa(folder: Path, cert: Path, key: Path, mode: str = "good") -> Iterator[LocalTSA]:
    """The authority on a free port of 127.0.0.1, signing with `cert` and `key`."""
    need_openssl()
    tsa = LocalTSA("", _config(folder, cert, key), mode)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            query = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            tsa.queries.append(query)
            if tsa.mode == "http-error":
                status, body, kind = 500, b"broken", "text/plain"
            elif tsa.mode == "garbage":
                status, body, kind = 200, b"<html>not a timestamp</html>", "application/timestamp-reply"
            else:
                status, body, kind = 200, _reply(tsa, query), "application/timestamp-reply"
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    tsa.url = f"http://127.0.0.1:{server.server_address[1]}/tsr"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield tsa
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
