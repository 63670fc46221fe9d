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
        shutil.copyfile(raw, out)
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
