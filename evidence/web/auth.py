"""Who is asking `evidence serve`: sessions in signed cookies, CSRF tokens, and the login rate limit.

A session is a cookie the server signed (HMAC-SHA256) under a key it made when it started, so a restart
ends every session. The cookie carries the account's id and its stamp (which changes with its password,
its role or its being disabled: such a change ends the account's sessions), an expiry and a nonce.
Each change a page asks for carries a CSRF token, the nonce signed for that purpose; the login form
carries one signed from a nonce of its own cookie. Logging out remembers the nonce until it expires."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie

SESSION_COOKIE = "evidence_session"
LOGIN_COOKIE = "evidence_login"
LIFETIME = 12 * 3600  # seconds a session lasts
COOKIE_FLAGS = "Path=/; HttpOnly; SameSite=Strict"
ATTEMPTS = 5  # failed logins allowed per account name…
ADDRESS_ATTEMPTS = 20  # …and per client address (an office behind one address has several people)…
WINDOW = 15 * 60  # …within this many seconds


@dataclass(frozen=True, slots=True)
class Who:
    """The person a page is for: their account (None when the catalogue has no accounts and the server
    shows it read-only to this machine), whether they may change the catalogue, and the token their
    forms carry."""

    name: str | None
    role: str | None
    may_change: bool
    csrf: str | None


@dataclass(frozen=True, slots=True)
class Ticket:
    account_id: int
    stamp: str
    nonce: str
    expires: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class Keys:
    """Signs and reads session cookies and CSRF tokens with one secret key."""

    def __init__(self, secret: bytes | None = None, clock: Callable[[], float] = time.time) -> None:
        self._secret = secret if secret is not None else secrets.token_bytes(32)
        self._clock = clock
        self._revoked: dict[str, float] = {}
        self._lock = threading.Lock()

    def _sign(self, purpose: str, text: str) -> str:
        return _b64(hmac.new(self._secret, f"{purpose}\n{text}".encode(), hashlib.sha256).digest())

    def issue(self, account_id: int, stamp: str) -> tuple[str, Ticket]:
        """A new session's cookie value and what it says."""
        ticket = Ticket(account_id, stamp, secrets.token_urlsafe(18), int(self._clock()) + LIFETIME)
        body = f"{ticket.account_id}.{ticket.stamp}.{ticket.expires}.{ticket.nonce}"
        return f"{body}.{self._sign('session', body)}", ticket

    def read(self, value: str | None) -> Ticket | None:
        """The session a cookie value carries, if this server signed it, it has not expired and it
        was not ended by logging out."""
        if not value or len(value) > 300:
            return None
        body, _, signature = value.rpartition(".")
        if not hmac.compare_digest(signature.encode(), self._sign("session", body).encode()):
            return None
        parts = body.split(".")
        if len(parts) != 4 or not parts[0].isdigit() or not parts[2].isdigit():
            return None
        ticket = Ticket(int(parts[0]), parts[1], parts[3], int(parts[2]))
        now = self._clock()
        with self._lock:
            if ticket.nonce in self._revoked or ticket.expires <= now:
                return None
        return ticket

    def end(self, ticket: Ticket) -> None:
        """Log out: this session's cookie is refused from now on, even if a copy of it is replayed."""
        now = self._clock()
        with self._lock:
            self._revoked = {n: t for n, t in self._revoked.items() if t > now}
            self._revoked[ticket.nonce] = ticket.expires

    def csrf(self, nonce: str) -> str:
        return self._sign("csrf", nonce)

    def csrf_ok(self, nonce: str | None, token: str | None) -> bool:
        return bool(nonce and token) and hmac.compare_digest(
            (token or "").encode(), self.csrf(nonce or "").encode()
        )


def cookie(header: str | None, name: str) -> str | None:
    """One cookie's value from a Cookie header (a malformed header counts as none)."""
    if not header or len(header) > 4096:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None else None


def set_cookie(name: str, value: str, max_age: int) -> str:
    return f"{name}={value}; Max-Age={max_age}; {COOKIE_FLAGS}"


class Attempts:
    """Failed logins counted per account name (`name:…`) and per client address (`address:…`): after
    `ATTEMPTS` failures for a name (`ADDRESS_ATTEMPTS` for an address) within `WINDOW` seconds, the
    key is refused until its oldest failure leaves the window (a correct password included, so
    guessing cannot go on by trying the right one now and then)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - WINDOW:
            times.popleft()
        return times

    def wait(self, keys: Iterable[str]) -> float:
        """Seconds before these keys may try again (0: now)."""
        now = self._clock()
        with self._lock:
            waits = [
                times[0] + WINDOW - now for key in keys if len(times := self._recent(key, now)) >= _limit(key)
            ]
        return max(waits, default=0.0)

    def failed(self, keys: Iterable[str]) -> None:
        now = self._clock()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)
            if len(self._failures) > 10_000:  # forget the keys that have nothing recent
                self._failures = {k: v for k, v in self._failures.items() if self._recent(k, now)}


def _limit(key: str) -> int:
    return ADDRESS_ATTEMPTS if key.startswith("address:") else ATTEMPTS
