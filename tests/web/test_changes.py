"""`evidence serve` with accounts: logging in, the changes an analyst makes (tag, withdraw, claim, decide)
landing as the CLI's own records and custody events named after the account, and every change refused
(no token, a viewer, logged out, another site, read-only, bad values) leaving no event."""

from __future__ import annotations

import http.client
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest
from conftest import Catalogue
from library import events, head_seq, opened
from mediagen import make_video

from evidence.accounts.users import add_user, set_user
from evidence.web.app import Server, running
from evidence.web.auth import ADDRESS_ATTEMPTS, ATTEMPTS
from evidence.workspace import Workspace

SECRET = "correct horse battery"
FORM = "application/x-www-form-urlencoded"


@dataclass
class Browser:
    """An HTTP client that keeps its cookies, as a browser does for one site."""

    server: Server
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self, path: str, *, form: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        host, port = self.server.server_address[:2]
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            sent.setdefault("Content-Type", FORM)
        connection = http.client.HTTPConnection(str(host), port, timeout=60)
        try:
            connection.request("POST" if form is not None else "GET", path, body=body, headers=sent)
            response = connection.getresponse()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    kept, _, flags = rest.partition(";")
                    if "Max-Age=0" in flags:
                        self.cookies.pop(key, None)
                    else:
                        self.cookies[key] = kept
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode()
        finally:
            connection.close()

    def token(self, path: str) -> str:
        status, _, html = self.request(path)
        assert status == 200, html[:300]
        found = re.search(r'name="csrf" value="([^"]+)"', html)
        assert found is not None, "no form token on " + path
        return found.group(1)

    def log_in(
        self, name: str, password: str = SECRET, *, next_page: str = "/"
    ) -> tuple[int, dict[str, str]]:
        csrf = self.token("/login")
        status, headers, _ = self.request(
            "/login", form={"csrf": csrf, "name": name, "password": password, "next": next_page}
        )
        return status, headers


@dataclass
class Team:
    server: Server
    ws: Workspace
    catalogue: Catalogue

    def browser(self) -> Browser:
        return Browser(self.server)

    def analyst(self) -> Browser:
        browser = self.browser()
        assert browser.log_in("ana")[0] == 303
        return browser


def _serve(
    catalogue: Catalogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **options: bool
) -> Iterator[Team]:
    video = make_video(tmp_path / "palmyra.mp4", seconds=4.0, fps=25, size=(320, 180), scenes=3, seed=31)
    catalogue.ok("add", video)
    with opened(catalogue, monkeypatch) as ws:
        add_user(ws, "ana", "analyst", SECRET, actor="admin")
        add_user(ws, "vic", "viewer", SECRET, actor="admin")
        with running(ws, actor="tester", **options) as server:
            yield Team(server, ws, catalogue)


@pytest.fixture
def team(catalogue: Catalogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Team]:
    yield from _serve(catalogue, tmp_path, monkeypatch)


def test_with_accounts_every_page_asks_to_log_in_first(team: Team) -> None:
    anyone = team.browser()
    for path in ("/", "/items/1", "/items/1/original", "/review", "/terms.json?q=h"):
        status, headers, _ = anyone.request(path)
        assert status == 303 and headers["location"].startswith("/login"), path
    assert anyone.request("/items/1")[1]["location"] == "/login?next=/items/1"
    assert anyone.request("/static/app.js")[0] == 200
    status, headers, html = anyone.request("/login")
    assert status == 200 and 'name="password" type="password"' in html
    assert "HttpOnly" in headers["set-cookie"] and "SameSite=Strict" in headers["set-cookie"]
    # a wrong password and an unknown name read the same, and start no session
    assert anyone.log_in("ana", "wrong password!")[0] == 401
    assert anyone.log_in("nobody")[0] == 401
    assert "evidence_session" not in anyone.cookies
    status, headers = anyone.log_in("ana", next_page="/items/1")
    assert status == 303 and headers["location"] == "/items/1"
    status, _, html = anyone.request("/items/1")
    assert status == 200 and "ana (analyst)" in html and 'id="tag-form"' in html
    # only an admin sees the accounts
    assert anyone.request("/accounts")[0] == 403
    add_user(team.ws, "root", "admin", SECRET, actor="admin")
    admin = team.browser()
    assert admin.log_in("root")[0] == 303
    status, _, html = admin.request("/accounts")
    assert status == 200 and re.findall(r"<tr data-account=\"\d+\"><td>([^<]+)</td><td>(\w+)</td>", html) == [
        ("ana", "analyst"),
        ("vic", "viewer"),
        ("root", "admin"),
    ]
    assert "scrypt$" not in html  # never a password hash
    # after logging in, only this application's own pages are where one is sent
    other = team.browser()
    assert other.log_in("ana", next_page="//attacker.example/")[1]["location"] == "/"


def test_an_analyst_tags_a_box_at_a_time_and_the_cli_shows_it_named_after_the_account(team: Team) -> None:
    ana = team.analyst()
    csrf = ana.token("/items/1")
    before = head_seq(team.ws)
    status, headers, _ = ana.request(
        "/items/1/tags",
        form={
            "csrf": csrf,
            "term": "компас",
            "t": "1.000",
            "box": "40,30,120,90",
            "note": "on the table",
            "confidence": "0.8",
        },
    )
    assert status == 303 and re.fullmatch(r"/items/1#tag-\d+", headers["location"]), headers
    [shown] = team.catalogue.json("tags", "1", "--json")["tags"]
    assert shown["path"][-1] == "compass" and shown["box"] == {"x": 40, "y": 30, "w": 120, "h": 90}
    assert shown["t_start"] == pytest.approx(1.0, abs=0.05) and shown["annotator"] == "ana"
    assert shown["confidence"] == 0.8 and shown["note"] == "on the table"
    assert [(e.action, e.actor) for e in events(team.ws, after=before)] == [("tag", "ana")]
    html = ana.request("/items/1")[2]
    assert f'id="tag-{shown["id"]}"' in html and "40,30 120×90" in html
    # editing is withdrawing and tagging anew: the withdrawn tag stays in the history
    status, headers, _ = ana.request(
        f"/tags/{shown['id']}/withdraw", form={"csrf": csrf, "note": "wrong box"}
    )
    assert status == 303 and headers["location"] == "/items/1#tags"
    assert team.catalogue.json("tags", "1", "--json")["tags"] == []
    [kept] = team.catalogue.json("tags", "1", "--all", "--json")["tags"]
    assert kept["withdrawn"] and kept["withdrawn_by"] == "ana" and kept["withdrawn_note"] == "wrong box"


def test_an_analyst_records_a_claim_with_what_it_says_the_footage_shows(team: Team) -> None:
    ana = team.analyst()
    csrf = ana.token("/items/1")
    before = head_seq(team.ws)
    form = {
        "csrf": csrf, "claimant": "Amaq", "text": "five soldiers killed near Palmyra",
        "said_on": "2016-03-24", "place": "Palmyra", "lat": "34.55", "lon": "38.27",
        "shows": "helmet, компас",
    }  # fmt: skip
    status, headers, _ = ana.request("/items/1/claims", form=form)
    assert status == 303 and re.fullmatch(r"/items/1#claim-\d+", headers["location"])
    [claim] = team.catalogue.json("claims", "1", "--json")["claims"]
    assert claim["claimant"] == "Amaq" and claim["text"] == "five soldiers killed near Palmyra"
    assert claim["place"]["name"] == "Palmyra" and claim["place"]["latitude"] == 34.55
    assert {shown["term"] for shown in claim["shows"]} == {"helmet", "compass"}
    assert claim["said_on"] == "2016-03-24" and claim["created_by"] == "ana"
    assert {e.actor for e in events(team.ws, after=before)} == {"ana"}
    # described versus observed at a glance: a tag of one term observes what the claim described
    ana.request("/items/1/tags", form={"csrf": csrf, "term": "helmet", "t": "2", "box": "5,5,50,50"})
    table = ana.request("/items/1")[2].split('<section id="described">')[1].split("</section>")[0]
    rows = dict(re.findall(r"<tr><td>([^<]*)</td>\s*<td>.*?</td>\s*<td>(.*?)</td></tr>", table, re.S))
    [helmet] = [v for k, v in rows.items() if k.endswith("helmet")]
    [compass] = [v for k, v in rows.items() if k.endswith("compass")]
    assert helmet.startswith('<span class="ok">observed</span>') and "xywh=5,5,50,50" in helmet
    assert "not yet observed" in compass


def test_the_autocomplete_finds_terms_by_alias_in_any_language(team: Team) -> None:
    ana = team.analyst()
    status, headers, body = ana.request("/terms.json?q=" + "компас".encode().hex())
    assert status == 200  # nothing found for gibberish, but an answer
    status, headers, body = ana.request("/terms.json?q=%D0%BA%D0%BE%D0%BC%D0%BF")  # "комп"
    assert status == 200 and headers["content-type"] == "application/json"
    import json

    found = json.loads(body)
    assert found[0]["path"].endswith("compass") and found[0]["matched"] == "компас"
    assert any(f["path"].endswith("Adrianov compass") for f in found)


def _refused(
    team: Team, browser: Browser, path: str, form: dict[str, str], status: int, **headers: str
) -> None:
    before = head_seq(team.ws)
    got, _, body = browser.request(path, form=form, headers=headers or None)
    assert got == status, (path, form, body[:300])
    assert head_seq(team.ws) == before, "a refused change left an event"


def test_every_refused_change_leaves_no_event(team: Team) -> None:
    ana = team.analyst()
    csrf = ana.token("/items/1")
    good = {"csrf": csrf, "term": "helmet", "t": "1", "box": "1,2,3,4"}
    _refused(team, ana, "/items/1/tags", {**good, "csrf": ""}, 403)  # no token
    _refused(team, ana, "/items/1/tags", {**good, "csrf": csrf[:-2] + "xx"}, 403)  # a forged one
    _refused(team, ana, "/items/1/tags", good, 403, **{"Sec-Fetch-Site": "cross-site"})
    _refused(team, ana, "/items/1/tags", good, 403, Origin="http://attacker.example")
    _refused(team, team.browser(), "/items/1/tags", good, 401)  # logged out
    viewer = team.browser()
    assert viewer.log_in("vic")[0] == 303
    assert 'id="tag-form"' not in viewer.request("/items/1")[2]
    _refused(team, viewer, "/items/1/tags", {**good, "csrf": viewer.token("/items/1")}, 403)
    # paths and other nonsense in the values are values, refused by the use case's own rules
    _refused(team, ana, "/items/1/tags", {**good, "box": "../../etc/passwd"}, 400)
    _refused(team, ana, "/items/1/tags", {**good, "t": "/etc/passwd"}, 400)
    _refused(team, ana, "/items/1/tags", {**good, "term": ""}, 400)
    _refused(team, ana, "/items/99/tags", good, 404)
    _refused(team, ana, "/items/1/tags", {**good, "csrf": csrf, "confidence": "nan"}, 400)
    _refused(team, ana, "/items/1/delete", good, 404)
    # another session's token is not this one's
    other = team.analyst()
    _refused(team, ana, "/items/1/tags", {**good, "csrf": other.token("/items/1")}, 403)
    # a session ends when the password changes, and on logging out (a saved copy of the cookie too)
    saved = dict(other.cookies)
    assert other.request("/logout", form={"csrf": other.token("/items/1")})[0] == 303
    other.cookies = saved
    assert other.request("/")[0] == 303
    set_user(team.ws, "ana", password="another good secret", actor="admin")
    assert ana.request("/items/1")[0] == 303
    _refused(team, ana, "/items/1/tags", good, 401)


def test_logins_are_limited_per_name_even_with_the_right_password_after(team: Team) -> None:
    guesser = team.browser()
    for _ in range(ATTEMPTS):
        assert guesser.log_in("ana", "not the password")[0] == 401
    status, _, body = guesser.request(
        "/login", form={"csrf": guesser.token("/login"), "name": "ana", "password": SECRET}
    )
    assert status == 429 and "Too many failed logins" in body
    assert "evidence_session" not in guesser.cookies
    assert team.browser().log_in("vic")[0] == 303  # another name is not held up by these
    # one address guessing across names is held up too, after more tries
    for number in range(ADDRESS_ATTEMPTS - ATTEMPTS):
        assert guesser.log_in(f"name{number}", "not the password")[0] == 401
    assert guesser.log_in("vic")[0] == 429
    # a login form posted without its own token (another site's form) is refused
    assert team.browser().request("/login", form={"name": "vic", "password": SECRET})[0] == 403


@pytest.fixture
def read_only(catalogue: Catalogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Team]:
    yield from _serve(catalogue, tmp_path, monkeypatch, read_only=True)


def test_a_read_only_server_lets_analysts_look_but_not_change(read_only: Team) -> None:
    ana = read_only.analyst()
    html = ana.request("/items/1")[2]
    assert "ana (analyst) · read-only" in html and 'id="tag-form"' not in html
    csrf = re.search(r'name="csrf" value="([^"]+)"', html)
    assert csrf is not None  # the logout form
    _refused(read_only, ana, "/items/1/tags", {"csrf": csrf.group(1), "term": "helmet"}, 403)
