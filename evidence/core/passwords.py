"""Passwords of the accounts that sign in to the web application: scrypt, kept as one string.

    scrypt$<n>$<r>$<p>$<salt, base64>$<key, base64>

`hash_password` uses n = 2**15, r = 8, p = 1 (32 MiB of memory), a random 16-byte salt and a 32-byte
key; `check_password` reads the parameters back from the string (so they can grow later without
breaking older accounts), compares in constant time and says False for anything it cannot read.
`burn_time` costs what checking a password costs, for a name that has no account: a wrong name and a
wrong password then take the same time. Pure standard library.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

from evidence.errors import UsageError

SCHEME = "scrypt"
N, R, P = 2**15, 8, 1
SALT_BYTES = 16
KEY_BYTES = 32
MAXMEM = 64 * 1024 * 1024  # what OpenSSL may use: twice what n and r need
MIN_LENGTH = 10
MAX_LENGTH = 1024
# the most a stored value may ask for: parameters beyond these are refused, not computed
MAX_N, MAX_R, MAX_P = 2**20, 32, 16
_DUMMY_SALT = b"evidence-no-account"


def _key(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=MAXMEM, dklen=length)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def check_password_rules(password: str) -> None:
    """Refuse (UsageError) a password too short or too long to be one, or that is not text."""
    if len(password) < MIN_LENGTH:
        raise UsageError(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise UsageError(f"a password has at most {MAX_LENGTH} characters")
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError("the password is not valid text (UTF-8)") from None


def hash_password(password: str) -> str:
    """The string to store for this password, with a fresh random salt."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _key(password, salt, N, R, P, KEY_BYTES)
    return f"{SCHEME}${N}${R}${P}${_b64(salt)}${_b64(key)}"


def _parse(stored: str) -> tuple[int, int, int, bytes, bytes] | None:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != SCHEME or not all(x.isdigit() for x in parts[1:4]):
        return None
    n, r, p = (int(x) for x in parts[1:4])
    if not (1 < n <= MAX_N and n & (n - 1) == 0 and 0 < r <= MAX_R and 0 < p <= MAX_P):
        return None
    try:
        salt = base64.b64decode(parts[4], validate=True)
        key = base64.b64decode(parts[5], validate=True)
    except (binascii.Error, ValueError):
        return None
    if not salt or not 16 <= len(key) <= 64:
        return None
    return n, r, p, salt, key


def check_password(password: str, stored: str) -> bool:
    """Whether `password` is the one `stored` was made from; False for a stored value that is not one
    `hash_password` makes (malformed, another scheme, parameters out of bounds)."""
    parsed = _parse(stored) if isinstance(stored, str) else None
    if parsed is None:
        return False
    n, r, p, salt, key = parsed
    try:
        candidate = _key(password, salt, n, r, p, len(key))
    except (ValueError, MemoryError):  # text that is not UTF-8, or parameters OpenSSL refuses
        return False
    return hmac.compare_digest(candidate, key)


def burn_time(password: str) -> None:
    """Spend what checking `password` against a stored value costs, for a name with no account."""
    try:
        candidate = _key(password, _DUMMY_SALT, N, R, P, KEY_BYTES)
    except ValueError:
        candidate = b""
    hmac.compare_digest(candidate, bytes(KEY_BYTES))
