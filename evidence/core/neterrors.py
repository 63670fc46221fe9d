"""One line for why a request over the network failed, from the exception chain that `requests`,
urllib3 and the socket layer raise: the DNS, a refused connection, TLS, or the innermost cause. Used by
`capture` (the page and media of a link) and `anchor --tsa` (a time-stamping authority). Pure: reads
exceptions only."""

from __future__ import annotations

import socket
import ssl


def cause(exc: BaseException) -> str:
    """The innermost telling cause (a TLS or DNS error where there is one), on one line."""
    while exc.__context__ is not None and not isinstance(exc, ssl.SSLError | socket.gaierror):
        exc = exc.__context__
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())[:200]


def connection_reason(exc: BaseException) -> str:
    """Why a connection could not be made: the host name does not resolve, the connection was refused,
    or else what failed."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, socket.gaierror) or "NameResolution" in type(seen).__name__:
            return "the host name does not resolve (DNS)"
        if isinstance(seen, ConnectionRefusedError):
            return "the connection was refused"
        seen = seen.__context__ or seen.__cause__
    text = str(exc)
    if "Failed to resolve" in text or "Name or service not known" in text:
        return "the host name does not resolve (DNS)"
    if "Connection refused" in text:
        return "the connection was refused"
    return f"the connection failed: {cause(exc)}"
