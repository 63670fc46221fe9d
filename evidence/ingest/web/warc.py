"""The exchanges of a fetch written as WARC 1.1 records (`warcio`): for each hop, the request as sent
and the response as received (status line, headers, and the body's bytes with their content encoding;
the transfer's chunking undone, as a WARC keeps it)."""

from __future__ import annotations

import io
import shutil
import zlib
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

CHUNK = 1 << 16


def write_warc(out: Path, hops: list[Any], last_body: Path, *, truncated: bool) -> None:
    """`hops`: requests' responses, redirects first; the last one's body is in `last_body` (cut at the
    size limit when `truncated`, which its record says)."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(out, "wb") as handle:
        writer = WARCWriter(handle, gzip=True, warc_version="WARC/1.1")
        for number, response in enumerate(hops):
            request = response.request
            parts = urlsplit(request.url)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            sent = [("Host", parts.netloc), *((k, str(v)) for k, v in request.headers.items())]
            request_headers = StatusAndHeaders(
                f"{request.method} {target} HTTP/1.1", sent, is_http_request=True
            )
            protocol = "HTTP/1.0" if getattr(response.raw, "version", 11) == 10 else "HTTP/1.1"
            kept = [(k, v) for k, v in response.raw.headers.items() if k.lower() != "transfer-encoding"]
            response_headers = StatusAndHeaders(
                f"{response.status_code} {response.reason or ''}".strip(), kept, protocol=protocol
            )
            last = number == len(hops) - 1
            with _payload(response, last_body if last else None) as payload:
                extra = {"WARC-Truncated": "length"} if last and truncated else None
                record = writer.create_warc_record(
                    request.url,
                    "response",
                    payload=payload,
                    http_headers=response_headers,
                    warc_headers_dict=extra,
                )
                writer.write_record(record)
            writer.write_record(
                writer.create_warc_record(
                    request.url,
                    "request",
                    payload=io.BytesIO(),
                    http_headers=request_headers,
                    warc_headers_dict={"WARC-Concurrent-To": record.rec_headers.get_header("WARC-Record-ID")},
                )
            )


def _payload(response: Any, body: Path | None) -> BinaryIO:
    if body is not None:
        return open(body, "rb")
    return io.BytesIO(response.content or b"")  # a redirect's short body, already read


def decode_body(raw: Path, out: Path, encoding: str, limit: int) -> None:
    """The body as the page means it: gzip and deflate undone (at most `limit` bytes); other encodings
    and plain bodies as received."""
    name = encoding.strip().lower()
    if name not in ("gzip", "x-gzip", "deflate"):
        raw.replace(out)  # the WARC is written by now: the bytes move, not copied a second time
        return
    inflater = zlib.decompressobj(47 if "gzip" in name else zlib.MAX_WBITS)
    written = 0
    try:
        with open(raw, "rb") as source, open(out, "wb") as sink:
            while chunk := source.read(CHUNK):
                data = inflater.decompress(chunk, max(1, limit - written + 1))
                written += len(data)
                sink.write(data[: max(0, limit - written + len(data))])
                if written > limit:
                    break
    except zlib.error:
        shutil.copyfile(raw, out)  # not what it says it is: kept as received


# headers that describe the bytes on the wire, which a browser's decoded body no longer is
_WIRE_ONLY = ("content-encoding", "transfer-encoding", "content-length")


def append_loaded(out: Path, loaded: list[Any]) -> None:
    """Add the resources a browser loaded for the page (`screenshot.Loaded`) to the WARC, each as a
    response and its request; their bodies are as the browser decoded them, so the headers about
    the wire's encoding are left out and the length is the body's."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    if not loaded:
        return
    with open(out, "ab") as handle:
        writer = WARCWriter(handle, gzip=True, warc_version="WARC/1.1")
        for one in loaded:
            kept = [(k, v) for k, v in one.headers.items() if k.lower() not in _WIRE_ONLY]
            kept.append(("Content-Length", str(len(one.body))))
            status = f"{one.status} {one.status_text}".strip()
            response = writer.create_warc_record(
                one.url,
                "response",
                payload=io.BytesIO(one.body),
                http_headers=StatusAndHeaders(status, kept, protocol="HTTP/1.1"),
            )
            writer.write_record(response)
            parts = urlsplit(one.url)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            sent = [("Host", parts.netloc), *one.request_headers.items()]
            writer.write_record(
                writer.create_warc_record(
                    one.url,
                    "request",
                    payload=io.BytesIO(),
                    http_headers=StatusAndHeaders(
                        f"{one.method} {target} HTTP/1.1", sent, is_http_request=True
                    ),
                    warc_headers_dict={
                        "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID")
                    },
                )
            )
