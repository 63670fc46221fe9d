"""Fetching a link as served, every request and response written to a WARC (`warcio`): the status, the
final URL after redirects, the response headers and the body (at most `max_bytes`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from evidence.core.neterrors import cause, connection_reason
from evidence.ingest.web.urls import check_url
from evidence.ingest.web.warc import decode_body, write_warc

USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) evidence-capture (+https://github.com/)"
MAX_REDIRECTS = 10
CHUNK = 1 << 16


class FetchFailed(Exception):
    """The link gave no page: `reason` is one line, `unreachable` says the network failed (DNS,
    connection, TLS, timeout) rather than the server answering something unusable."""

    def __init__(self, reason: str, *, unreachable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.unreachable = unreachable


@dataclass
class Page:
    url: str  # as given
    final_url: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    content_type: str
    body: Path  # the response body as received (decoded from its transfer and content encoding)
    warc: Path
    fetched_at: datetime
    redirects: list[str] = field(default_factory=list)
    too_large: bool = False

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def is_html(self) -> bool:
        return self.content_type.split(";")[0].strip().lower() in ("text/html", "application/xhtml+xml")


def fetch(url: str, folder: Path, *, timeout: float, max_bytes: int) -> Page:
    """GET `url` (following at most MAX_REDIRECTS redirects, http and https only), every exchange
    written to `folder/page.warc.gz` (the bytes as received, content encoding kept), the decoded body
    to `folder/body`. Raises FetchFailed."""
    import requests
    import urllib3

    warc = folder / "page.warc.gz"
    raw = folder / "raw"
    fetched_at = datetime.now(UTC)
    session = requests.Session()
    session.max_redirects = MAX_REDIRECTS
    session.headers["User-Agent"] = USER_AGENT
    session.headers["Accept-Encoding"] = "gzip, deflate"
    too_large = False
    try:
        response = session.get(url, timeout=(timeout, timeout), stream=True, allow_redirects=True)
        try:
            with open(raw, "wb") as out:
                received = 0
                while chunk := response.raw.read(CHUNK, decode_content=False):
                    received += len(chunk)
                    if received > max_bytes:
                        too_large = True
                        break
                    out.write(chunk)
        finally:
            response.close()
    except requests.exceptions.TooManyRedirects as exc:
        raise FetchFailed(
            f"more than {MAX_REDIRECTS} redirects (a redirect loop?)", unreachable=False
        ) from exc
    except requests.exceptions.InvalidSchema as exc:
        raise FetchFailed("redirected to a link that is not http or https", unreachable=False) from exc
    except requests.exceptions.SSLError as exc:
        raise FetchFailed(f"TLS failed: {cause(exc)}", unreachable=True) from exc
    except requests.exceptions.Timeout as exc:
        raise FetchFailed(f"no answer within {timeout:g} s", unreachable=True) from exc
    except requests.exceptions.ConnectionError as exc:
        raise FetchFailed(connection_reason(exc), unreachable=True) from exc
    except requests.exceptions.RequestException as exc:
        raise FetchFailed(f"the request failed: {cause(exc)}", unreachable=True) from exc
    except urllib3.exceptions.ReadTimeoutError as exc:  # the body, read from urllib3 directly
        raise FetchFailed(f"no answer within {timeout:g} s", unreachable=True) from exc
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise FetchFailed(f"the connection broke off: {cause(exc)}", unreachable=True) from exc
    redirects = [r.url for r in response.history]
    for hop in [*redirects, response.url]:
        check_url(hop)  # requests follows only http(s); a checked hop keeps the record honest
    if too_large:  # the record keeps the exchange's headers, not a cut-off part of what was refused
        raw.write_bytes(b"")
    write_warc(warc, [*response.history, response], raw, truncated=too_large)
    body = folder / "body"
    decode_body(raw, body, response.headers.get("Content-Encoding", ""), max_bytes)
    return Page(
        url=url,
        final_url=response.url,
        status=response.status_code,
        reason=response.reason or "",
        headers=[(k, v) for k, v in response.headers.items()],
        content_type=response.headers.get("Content-Type", ""),
        body=body,
        warc=warc,
        fetched_at=fetched_at,
        redirects=redirects,
        too_large=too_large,
    )
