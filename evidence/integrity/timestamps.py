"""Trusted timestamps (RFC 3161) over anchors: `evidence anchor --tsa URL` asks time-stamping
authorities to sign the SHA-256 of the anchor line, and `evidence verify --tsa-ca FILE` checks every
kept reply offline against the certificate authorities the user trusts.

An anchor line fixes the custody chain up to the event it names (`integrity/anchor.py`). A token from a
time-stamping authority over that line says that an independent party saw the line no later than the
token's time: whoever rewrites the history before the anchor afterwards cannot make the line, and so
the token, match it again. The replies are kept in the `anchor` custody event
(`catalogue/timestamps.py`): they travel with the catalogue and its exports, and anyone can check a
token with `openssl ts -verify -data anchor.txt -in reply.tsr -CAfile ca.pem` as well (the
stamped bytes are the anchor line and its line end, as `evidence anchor -o anchor.txt` writes them).

Parsing and signature checks are `rfc3161-client`'s (no ASN.1 of our own). It reads DER strictly: a
reply whose certificate set is not in DER order (some OpenSSL-based authorities that add their chain)
is refused as unreadable rather than kept unchecked.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import requests
from cryptography import x509
from rfc3161_client import (
    HashAlgorithm,
    TimestampRequestBuilder,
    TimeStampResponse,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

from evidence.catalogue.timestamps import StoredStamp, stamped_bytes
from evidence.core.neterrors import cause, connection_reason
from evidence.core.text import printable
from evidence.core.timeutil import iso
from evidence.errors import EnvironmentFailure, IntegrityFailure, UsageError
from evidence.store.files import read_small

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
MAX_REPLY = 1 << 20
MAX_BUNDLE = 16 << 20
GRANTED = 0


@dataclass(frozen=True, slots=True)
class Stamp:
    """An authority's reply over an anchor line, checked for the line and the request's nonce."""

    tsa: str
    reply: bytes  # DER TimeStampResp, as received
    gen_time: str
    tsa_name: str | None
    serial: int


@dataclass(frozen=True, slots=True)
class StampCheck:
    """A kept reply checked again: `ok` None when no certificate authority was given to check the
    signature against (the line and the chain are checked all the same), `reasons` why it fails."""

    stored: StoredStamp
    ok: bool | None
    reasons: tuple[str, ...]
    gen_time: str | None
    tsa_name: str | None


def imprint(line: str) -> bytes:
    return hashlib.sha256(stamped_bytes(line)).digest()


def check_tsa_url(url: str) -> str:
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        raise UsageError(f"--tsa {printable(url)}: not a link") from exc
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--tsa {printable(url)}: a time-stamping authority is an http or https link")
    if any(ch.isspace() or ord(ch) < 32 for ch in text):
        raise UsageError(f"--tsa {printable(url)}: a link cannot hold spaces or control characters")
    return text


def load_roots(path: Path) -> list[x509.Certificate]:
    """The certificate authorities in a PEM bundle (or one DER certificate) the user trusts."""
    shown = printable(str(path))
    data = read_small(path, MAX_BUNDLE, f"--tsa-ca {shown}")
    try:
        found = x509.load_pem_x509_certificates(data) if b"-----BEGIN" in data else []
        if not found:
            found = [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise UsageError(f"--tsa-ca {shown}: no certificate could be read from it (PEM or DER)") from exc
    return found


def ask(url: str, line: str, *, timeout: float, roots: Sequence[x509.Certificate] = ()) -> Stamp:
    """One authority's token over `line`: refused (EnvironmentFailure, exit 4) when the authority
    cannot be reached or answers anything but a granted token for this line and this request; with
    `roots`, also refused (IntegrityFailure, exit 5) when its signature does not verify against them."""
    request = (
        TimestampRequestBuilder()
        .data(stamped_bytes(line))
        .hash_algorithm(HashAlgorithm.SHA256)
        .nonce(nonce=True)
        .cert_request(cert_request=True)
        .build()
    )
    body = _post(url, request.as_bytes(), timeout)
    try:
        reply = decode_timestamp_response(body)
    except ValueError as exc:
        raise _failed(url, f"its answer is not an RFC 3161 reply this tool can read ({cause(exc)})") from exc
    if reply.status != GRANTED:
        said = f": {printable(' '.join(reply.status_string))}" if reply.status_string else ""
        raise _failed(url, f"it did not grant the timestamp (status {reply.status}{said})")
    info = reply.tst_info
    if info.message_imprint.message != imprint(line):
        raise _failed(url, "it answered with a token for another message than the anchor line")
    if info.nonce != request.nonce:
        raise _failed(url, "its token does not carry the request's nonce (a stale or mixed-up reply)")
    if roots:
        try:
            _verified(reply, imprint(line), roots)
        except VerificationError as exc:
            raise IntegrityFailure(
                f"the timestamp from {printable(url)} does not verify against --tsa-ca ({_said(exc)}): "
                "nothing was kept"
            ) from exc
    return Stamp(url, body, _time(info.gen_time), signer_name(reply), info.serial_number)


def check(
    stored: StoredStamp,
    roots: Sequence[x509.Certificate],
    named: tuple[int, str, str] | None,
    anchored: tuple[str, str] | None,
) -> StampCheck:
    """A kept reply checked offline: it stamps its anchor line; the line (`named`: the event, hash and
    time it names, read by `integrity.anchor.parse_anchor`; None when it cannot be read) still names
    the chain's event as it stands (`anchored`: that event's hash and time, None when the chain has no
    such event); and, with `roots`, its signature verifies with a certificate valid at the token's time
    and chained to one of them."""
    reasons: list[str] = []
    if stored.reply is None:
        return StampCheck(stored, False, ("the kept reply is not base64 text",), None, None)
    try:
        reply = decode_timestamp_response(stored.reply)
    except ValueError as exc:
        return StampCheck(
            stored, False, (f"the kept reply is not an RFC 3161 reply ({cause(exc)})",), None, None
        )
    gen_time = _time(reply.tst_info.gen_time)
    if reply.tst_info.message_imprint.message != imprint(stored.anchor_line):
        reasons.append("it stamps another message than the anchor line kept with it")
    if named is None:
        reasons.append("the anchor line kept with it cannot be read")
    elif anchored is None:
        reasons.append(f"the chain has no event {named[0]}, which the stamped anchor names")
    elif named != (stored.anchor_seq, *anchored):
        reasons.append(
            f"custody event {named[0]} no longer has the hash and time the stamped anchor names: the "
            "history up to it was rewritten after the timestamp"
        )
    ok: bool | None = None
    if roots:
        try:  # the signature and the certificates, over what the token says it stamps (compared above)
            _verified(reply, reply.tst_info.message_imprint.message, roots)
            ok = not reasons
        except VerificationError as exc:
            reasons.append(f"its signature does not verify against --tsa-ca ({_said(exc)})")
    if reasons:
        ok = False
    return StampCheck(stored, ok, tuple(reasons), gen_time, signer_name(reply))


def signer_name(reply: TimeStampResponse) -> str | None:
    """The subject of the certificate that signed the token, when the reply carries it."""
    infos = list(reply.signed_data.signer_infos)
    if len(infos) != 1:
        return None
    for der in reply.signed_data.certificates:
        cert = x509.load_der_x509_certificate(der)
        if cert.issuer == infos[0].issuer and cert.serial_number == infos[0].serial_number:
            return cert.subject.rfc4514_string()
    return None


def _verified(reply: TimeStampResponse, digest: bytes, roots: Sequence[x509.Certificate]) -> None:
    builder = VerifierBuilder()
    for root in roots:
        builder = builder.add_root_certificate(root)
    builder.build().verify(reply, digest)


def _post(url: str, query: bytes, timeout: float) -> bytes:
    headers = {"Content-Type": QUERY_TYPE, "Accept": REPLY_TYPE}
    try:
        with requests.post(
            url, data=query, headers=headers, timeout=timeout, stream=True, allow_redirects=False
        ) as response:
            if response.status_code != 200:
                raise _failed(
                    url,
                    f"it answered HTTP {response.status_code} {printable(response.reason or '')}".rstrip(),
                )
            body = bytes(response.raw.read(MAX_REPLY + 1, decode_content=True))
    except requests.exceptions.SSLError as exc:
        raise _failed(url, f"TLS failed: {cause(exc)}") from exc
    except requests.exceptions.Timeout as exc:
        raise _failed(url, f"no answer within {timeout:g} s") from exc
    except requests.exceptions.ConnectionError as exc:
        raise _failed(url, connection_reason(exc)) from exc
    except (requests.exceptions.RequestException, OSError) as exc:
        raise _failed(url, f"the request failed: {cause(exc)}") from exc
    if len(body) > MAX_REPLY:
        raise _failed(url, f"its answer is larger than {MAX_REPLY >> 20} MiB: not a timestamp reply")
    return body


def _failed(url: str, reason: str) -> EnvironmentFailure:
    return EnvironmentFailure(f"time-stamping authority {printable(url)}: {reason}; no anchor was taken")


def _said(exc: Exception) -> str:
    """The verifier's reason in words: its certificate-path failure (an OpenSSL error stack) as what it
    means, anything else on one short line."""
    text = " ".join(str(exc).split())
    if "certificate verify error" in text or "Unable to verify pkcs7" in text:
        return (
            "the signing certificate does not chain to a certificate authority in the bundle, or was not "
            "valid at the token's time"
        )
    return text.split(" ErrorStack")[0][:200] or type(exc).__name__


def _time(at: datetime) -> str:
    return iso(at) or ""
