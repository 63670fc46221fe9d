"""Sessions, CSRF tokens and the login limit of `evidence serve`, on a clock the test moves (no
waiting): a session lasts `LIFETIME` and no longer, only this server's key signs one, a logged-out
session stays out, and a held-back name may try again once its failures leave the window."""

from __future__ import annotations

from evidence.web.auth import ATTEMPTS, LIFETIME, WINDOW, Attempts, Keys, cookie


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_session_lasts_its_lifetime_and_only_this_servers_key_signs_one() -> None:
    clock = Clock()
    keys = Keys(clock=clock)
    value, ticket = keys.issue(7, "stamp1")
    assert keys.read(value) == ticket and ticket.account_id == 7 and ticket.stamp == "stamp1"
    clock.now += LIFETIME - 1
    assert keys.read(value) == ticket
    clock.now += 1
    assert keys.read(value) is None  # expired
    fresh, _ = keys.issue(7, "stamp1")
    body, _, signature = fresh.rpartition(".")
    forged = body.replace("7.", "8.", 1)
    assert keys.read(f"{forged}.{signature}") is None  # another account's id under this signature
    assert keys.read(fresh[:-1] + ("A" if fresh[-1] != "A" else "B")) is None
    assert Keys(clock=clock).read(fresh) is None  # another server (or this one restarted)
    for junk in ("", "a.b.c", "x" * 400, None):
        assert keys.read(junk) is None


def test_logging_out_ends_the_session_and_tokens_belong_to_theirs() -> None:
    keys = Keys()
    value, ticket = keys.issue(1, "s")
    token = keys.csrf(ticket.nonce)
    assert keys.csrf_ok(ticket.nonce, token)
    _, other = keys.issue(1, "s")
    assert not keys.csrf_ok(other.nonce, token) and not keys.csrf_ok(ticket.nonce, None)
    assert not keys.csrf_ok(None, token)
    keys.end(ticket)
    assert keys.read(value) is None
    assert keys.read(keys.issue(1, "s")[0]) is not None  # a new login still works


def test_a_held_back_name_may_try_again_once_its_failures_leave_the_window() -> None:
    clock = Clock()
    attempts = Attempts(clock=clock)
    keys = ("name:ana", "address:10.0.0.1")
    for _ in range(ATTEMPTS - 1):
        attempts.failed(keys)
        clock.now += 1
    assert attempts.wait(keys) == 0
    attempts.failed(keys)
    assert attempts.wait(keys) == WINDOW - (ATTEMPTS - 1)  # until the first failure is 15 min old
    assert attempts.wait(("name:vic", "address:10.0.0.2")) == 0
    clock.now += WINDOW
    assert attempts.wait(keys) == 0


def test_a_malformed_cookie_header_reads_as_none() -> None:
    assert cookie('evidence_session=abc; other="x"', "evidence_session") == "abc"
    assert cookie("evidence_session", "evidence_session") is None
    assert cookie('a="unterminated', "a") is None  # no exception either
    assert cookie("x" * 5000, "x") is None
