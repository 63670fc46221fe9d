"""Which links are captured: http and https with a host, checked before any request."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from evidence.core.text import printable
from evidence.errors import UsageError

SCHEMES = ("http", "https")
_LOOKS_LIKE_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(//|[^\\/]*$)")


def looks_like_url(text: str) -> bool:
    """`https://…`, `ftp://…`, `javascript:…`, `file:…`: a scheme, not a path."""
    return bool(_LOOKS_LIKE_URL.match(text)) and not re.match(r"^[A-Za-z]:[\\/]", text)


def check_url(url: str) -> str:
    """The link itself when it is http(s) with a host; else UsageError (nothing was requested)."""
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        raise UsageError(f"not a link: {printable(url)}") from exc
    if parts.scheme.lower() not in SCHEMES:
        shown = parts.scheme or "no scheme"
        raise UsageError(
            f"refused {printable(url)}: only http and https links are captured (this is {shown})"
        )
    if not parts.hostname:
        raise UsageError(f"refused {printable(url)}: the link has no host")
    if any(ch.isspace() for ch in text) or any(ord(ch) < 32 for ch in text):
        raise UsageError(f"refused {printable(url)}: a link cannot hold spaces or control characters")
    return text
