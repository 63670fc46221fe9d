"""A POST to `evidence serve`: logging in and out, and the changes (`web/changes.py`).

Before a change reaches its use case it must come from this application's own page (the browser's
`Sec-Fetch-Site` and `Origin` say so, when the browser sends them), carry a form no larger than
`MAX_FORM`, belong to a session whose account may change the catalogue on a server that is not
read-only, and carry that session's CSRF token. Anything refused is refused before the use case runs,
so it leaves no custody event."""

from __future__ import annotations

import sys
from collections.abc import Callable
from email.message import Message
from http import HTTPStatus
from io import BufferedIOBase
from typing import Protocol
from urllib.parse import parse_qs

from evidence.accounts.users import AccountView, authenticate
from evidence.errors import EvidenceError, NotFound, UsageError
from evidence.web import pages
from evidence.web.auth import (
    LIFETIME,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    Attempts,
    Keys,
    Ticket,
    cookie,
    set_cookie,
)
from evidence.web.changes import Form, field, route
from evidence.web.pages import Reply
from evidence.workspace import Workspace

MAX_FORM = 64 * 1024
FORM_TYPE = "application/x-www-form-urlencoded"


class Site(Protocol):
    """What a POST needs of the server."""

    ws: Workspace
    keys: Keys
    attempts: Attempts
    read_only: bool

    def allowed_host(self, header: str | None) -> bool: ...
    def needs_login(self) -> bool: ...
    def session(self, cookie_header: str | None) -> tuple[Ticket | None, AccountView | None]: ...
    def may_change(self, person: AccountView) -> bool: ...


def _refuse(status: int, text: str, *, close: bool = False) -> Reply:
    return Reply(status, pages.error(status, text), close=close)


def _go(location: str, cookies: tuple[str, ...] = ()) -> Reply:
    return Reply(HTTPStatus.SEE_OTHER, b"", cookies=cookies, location=location)


def _same_origin(site: Site, headers: Message) -> bool:
    """The browser says the form was sent by a page of this application (`Sec-Fetch-Site`; else the
    `Origin`, which under our no-referrer policy a current browser sends as "null"), or says nothing
    (a script)."""
    site_header = headers.get("Sec-Fetch-Site")
    if site_header is not None:
        return site_header == "same-origin"
    origin = headers.get("Origin")
    if origin is None:
        return True
    return origin.startswith("http://") and site.allowed_host(origin[len("http://") :])


def _form(headers: Message, body: BufferedIOBase) -> Form | Reply:
    """The request's form, or the refusal (a body not read closes the connection)."""
    length_text = headers.get("Content-Length") or ""
    if not (length_text.isascii() and length_text.isdigit()):
        return _refuse(HTTPStatus.LENGTH_REQUIRED, "A form must say its length.", close=True)
    if int(length_text) > MAX_FORM:
        return _refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "The form is too large.", close=True)
    data = body.read(int(length_text))
    kind = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if kind != FORM_TYPE:
        return _refuse(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "Changes are sent as a form.")
    try:
        return parse_qs(data.decode("utf-8"), keep_blank_values=True, max_num_fields=50)
    except (UnicodeDecodeError, ValueError):
        return _refuse(HTTPStatus.BAD_REQUEST, "The form could not be read.")


def one(form: Form, name: str) -> str | None:
    try:
        return field(form, name)
    except UsageError:
        return None


def answer(site: Site, headers: Message, body: BufferedIOBase, path: str, client: str) -> Reply:
    if not site.allowed_host(headers.get("Host")):
        return _refuse(HTTPStatus.MISDIRECTED_REQUEST, "Unknown host name.", close=True)
    if not _same_origin(site, headers):
        return _refuse(HTTPStatus.FORBIDDEN, "Not from another site.", close=True)
    form = _form(headers, body)
    if isinstance(form, Reply):
        return form
    path = path.split("?", 1)[0]
    if path == "/login":
        return _login(site, headers, form, client)
    ticket, person = site.session(headers.get("Cookie"))
    if ticket is None or person is None:
        if site.needs_login():
            return _refuse(HTTPStatus.UNAUTHORIZED, "Log in first.")
        return _refuse(HTTPStatus.UNAUTHORIZED, "This catalogue has no accounts: it is shown read-only.")
    if not site.keys.csrf_ok(ticket.nonce, one(form, "csrf")):
        return _refuse(HTTPStatus.FORBIDDEN, "The form's token is missing or stale: reload the page.")
    if path == "/logout":
        site.keys.end(ticket)
        return _go("/login", (set_cookie(SESSION_COOKIE, "", 0),))
    if not site.may_change(person):
        reason = "this server is read-only" if site.read_only else f"a {person.role} cannot change it"
        return _refuse(HTTPStatus.FORBIDDEN, f"Not changed: {reason}.")
    found = route(path)
    if found is None:
        return _refuse(HTTPStatus.NOT_FOUND, "No such change.")
    change, record_id = found
    return _run(lambda: change.run(site.ws, record_id, form, person.name), path)


def _run(change: Callable[[], str], path: str) -> Reply:
    try:
        return _go(change())
    except NotFound as exc:
        return _refuse(HTTPStatus.NOT_FOUND, str(exc))
    except EvidenceError as exc:
        return _refuse(HTTPStatus.BAD_REQUEST, str(exc))
    except Exception as exc:  # one line in the log, a 500 page, and the server goes on
        sys.stderr.write(f"evidence serve: internal error on POST {path}: {exc!r}\n")
        return _refuse(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal error (see the server's log).")


def _login(site: Site, headers: Message, form: Form, client: str) -> Reply:
    """Check the name and password, at most `auth.ATTEMPTS` failures per address and per name in the
    window; a good pair starts a session."""
    nonce = cookie(headers.get("Cookie"), LOGIN_COOKIE)
    if not site.keys.csrf_ok(f"login:{nonce}" if nonce else None, one(form, "csrf")):
        return _refuse(HTTPStatus.FORBIDDEN, "The login form's token is missing or stale: reload the page.")
    name = (one(form, "name") or "")[:64]
    password = (form.get("password") or [""])[-1]
    keys = (f"address:{client}", f"name:{name.casefold()}")
    wait = site.attempts.wait(keys)
    if wait > 0:
        minutes = max(1, round(wait / 60))
        return _refuse(HTTPStatus.TOO_MANY_REQUESTS, f"Too many failed logins: try again in {minutes} min.")
    person = authenticate(site.ws, name, password) if name and password else None
    if person is None:
        site.attempts.failed(keys)
        return pages.login_page(site.keys, {"next": form.get("next", [])}, nonce, failed=True)
    value, _ = site.keys.issue(person.id, person.stamp)
    target = pages.local_page(one(form, "next"))
    return _go(target, (set_cookie(SESSION_COOKIE, value, LIFETIME), set_cookie(LOGIN_COOKIE, "", 0)))
