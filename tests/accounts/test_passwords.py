"""Passwords: scrypt kept as one string, checked in constant time, a bad stored value never a match,
an unknown name as costly as a wrong password, and the rules on length."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest

from evidence.core import passwords
from evidence.core.passwords import burn_time, check_password, check_password_rules, hash_password
from evidence.errors import UsageError

SECRET = "correct horse battery staple"


def test_a_password_hashes_to_one_string_and_checks_back() -> None:
    stored = hash_password(SECRET)
    scheme, n, r, p, salt, key = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", "32768", "8", "1")
    assert len(base64.b64decode(salt)) == 16 and len(base64.b64decode(key)) == 32
    assert check_password(SECRET, stored) is True
    assert check_password("correct horse battery stapler", stored) is False
    assert check_password(SECRET.upper(), stored) is False
    assert hash_password(SECRET) != stored  # a fresh salt each time
    unicode_secret = "пароль с пробелами ✓"
    assert check_password(unicode_secret, hash_password(unicode_secret)) is True


def test_parameters_are_read_from_the_stored_value() -> None:
    salt = b"0123456789abcdef"
    key = hashlib.scrypt(SECRET.encode(), salt=salt, n=2**10, r=4, p=2, dklen=24)
    stored = f"scrypt$1024$4$2${base64.b64encode(salt).decode()}${base64.b64encode(key).decode()}"
    assert check_password(SECRET, stored) is True
    assert check_password("not it at all", stored) is False


def _valid() -> list[str]:
    return hash_password(SECRET).split("$")


def _with(index: int, value: str) -> str:
    parts = _valid()
    parts[index] = value
    return "$".join(parts)


MALFORMED = [
    "",
    "scrypt",
    SECRET,
    "$".join(_valid()[:5]),  # no key
    "$".join([*_valid(), "extra"]),
    _with(0, "bcrypt"),
    _with(0, "SCRYPT"),
    _with(1, "1000"),  # not a power of two
    _with(1, "1"),
    _with(1, str(2**40)),  # beyond what a stored value may ask for
    _with(1, "-32768"),
    _with(1, "x"),
    _with(2, "0"),
    _with(2, "999"),
    _with(3, "0"),
    _with(4, ""),  # no salt
    _with(4, "not base64!"),
    _with(5, "not base64!"),
    _with(5, base64.b64encode(b"short").decode()),
    _with(5, ""),
]


@pytest.mark.parametrize("stored", MALFORMED)
def test_a_malformed_stored_value_is_never_a_match(stored: str) -> None:
    assert check_password(SECRET, stored) is False


def test_text_that_is_not_utf8_is_no_match_and_refused_by_the_rules() -> None:
    broken = "a password \ud800 broken"
    assert check_password(broken, hash_password(SECRET)) is False
    with pytest.raises(UsageError, match="not valid text"):
        check_password_rules(broken)


def test_the_rules_take_10_to_1024_characters() -> None:
    check_password_rules("x" * 10)
    check_password_rules("ü" * 1024)
    with pytest.raises(UsageError, match="at least 10 characters"):
        check_password_rules("x" * 9)
    with pytest.raises(UsageError, match="at least 10 characters"):
        check_password_rules("")
    with pytest.raises(UsageError, match="at most 1024 characters"):
        check_password_rules("x" * 1025)


def test_burning_time_runs_the_same_scrypt_a_check_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    stored = hash_password(SECRET)
    calls: list[dict[str, Any]] = []
    real = hashlib.scrypt

    def counting(password: bytes, **kw: Any) -> bytes:
        calls.append({k: v for k, v in kw.items() if k != "salt"} | {"password": password})
        return real(password, **kw)

    monkeypatch.setattr(passwords.hashlib, "scrypt", counting)
    check_password("a wrong password", stored)
    burn_time("a wrong password")
    assert len(calls) == 2
    assert calls[0] == calls[1]
    assert calls[0]["n"] == 2**15 and calls[0]["r"] == 8 and calls[0]["dklen"] == 32
