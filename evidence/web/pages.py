"""The pages of `evidence serve`, each built from the use cases the command line calls (`browse`,
`annotation`): nothing here reads the database on its own or decides anything the CLI decides."""

from __future__ import annotations

import base64
import json
import re
import secrets
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from urllib.parse import quote

from jinja2 import PackageLoader

from evidence.accounts.users import list_users
from evidence.analysis.moments import stills_at
from evidence.annotation.vocabulary import complete
from evidence.browse.cards import PAGE, first_thumbnails, item_cards, item_record, recorded_thumbnail
from evidence.browse.items import item_view
from evidence.browse.search import SearchQuery, search
from evidence.catalogue.views import media_duration, media_size
from evidence.core.names import RelationKind
from evidence.errors import NotFound, UsageError
from evidence.exports.frame import download_frame, frame_out, sidecar_text
from evidence.exports.render.html import environment
from evidence.matching.review import cluster_page, suggestion, suggestions
from evidence.web.auth import LOGIN_COOKIE, Keys, Who, set_cookie
from evidence.web.timeline import player_marks, story
from evidence.workspace import Workspace

ENV = environment(PackageLoader("evidence.web", "templates"))
FILTERS = ("tag", "claimed_by", "signed_by", "place", "text", "since", "until", "kind", "case")
"""The item list's filters: the criteria of `evidence search`, by the names of its options."""


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    whole = round(seconds)
    return (
        f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"
        if whole >= 3600
        else f"{whole // 60}:{whole % 60:02d}"
    )


ENV.filters["duration"] = _duration
REVERSE_SEARCH = (
    ("Google Lens", "https://lens.google.com/"),
    ("Bing", "https://www.bing.com/visualsearch"),
    ("Yandex", "https://yandex.com/images/"),
    ("TinEye", "https://tineye.com/"),
)
"""The reverse image searches' upload pages (as InVID links them): the analyst uploads the frame there."""


@dataclass(frozen=True, slots=True)
class Reply:
    """An answer: its status and body, and the cookies to set, where to go next (a redirect), and
    whether the connection closes after it."""

    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    cookies: tuple[str, ...] = ()
    location: str | None = None
    close: bool = False


def _render(name: str, **context: object) -> bytes:
    return ENV.get_template(name).render(**context).encode()


def error(status: int, message: str, who: Who | None = None) -> bytes:
    return _render("error.html", status=status, message=message, who=who)


LOCAL_PAGE = re.compile(r"/(items/\d{1,18}|review(/\d{1,18})?|clusters)?")


def local_page(text: str | None) -> str:
    """Where to go after logging in: one of this application's pages, never another site."""
    return text if text is not None and LOCAL_PAGE.fullmatch(text) else "/"


def login_link(path: str) -> str:
    return "/login" + (f"?next={quote(path, safe='/')}" if LOCAL_PAGE.fullmatch(path) and path != "/" else "")


NONCE = re.compile(r"[A-Za-z0-9_-]{24}")


def login_page(keys: Keys, query: dict[str, list[str]], nonce: str | None, *, failed: bool = False) -> Reply:
    """The login form, with a token signed from a nonce in a cookie of its own (a form another site
    posts has neither). The browser's nonce is kept when it has one: a second login page opened (or
    fetched by the browser on its own, as for a favicon) does not make the first one's form stale."""
    nonce = nonce if nonce is not None and NONCE.fullmatch(nonce) else secrets.token_urlsafe(18)
    body = _render(
        "login.html",
        csrf=keys.csrf(f"login:{nonce}"),
        next=local_page(_one(query, "next")),
        failed=failed,
        who=None,
    )
    status = HTTPStatus.UNAUTHORIZED if failed else HTTPStatus.OK
    return Reply(status, body, cookies=(set_cookie(LOGIN_COOKIE, nonce, 3600),))


def _one(query: dict[str, list[str]], name: str) -> str | None:
    values = [v.strip() for v in query.get(name, []) if v.strip()]
    return values[-1] if values else None


def _page_number(query: dict[str, list[str]]) -> int:
    text = _one(query, "page") or "1"
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 1_000_000:
        raise UsageError("page must be a whole number from 1")
    return int(text)


def items_page(ws: Workspace, query: dict[str, list[str]], who: Who) -> bytes:
    """The item list, filtered as `evidence search` filters (each criterion once here)."""
    chosen = {name: value for name in FILTERS if (value := _one(query, name)) is not None}
    page = _page_number(query)
    only = None
    if chosen:
        criteria = SearchQuery(
            tags=tuple(filter(None, [chosen.get("tag")])),
            claimed_by=tuple(filter(None, [chosen.get("claimed_by")])),
            signed_by=tuple(filter(None, [chosen.get("signed_by")])),
            places=tuple(filter(None, [chosen.get("place")])),
            texts=tuple(filter(None, [chosen.get("text")])),
            since=chosen.get("since"),
            until=chosen.get("until"),
            kind=chosen.get("kind"),
            case=chosen.get("case"),
            limit=page * PAGE + 1,  # what this page shows and whether there is another
        )
        only = [hit.item.id for hit in search(ws, criteria).hits]
    cards = item_cards(ws, page=page, only=only)
    durations = {c.item.id: media_duration(c.item.probe or {}) for c in cards.cards}
    return _render("items.html", cards=cards, chosen=chosen, durations=durations, filters=FILTERS, who=who)


def item_page(ws: Workspace, item_id: int, who: Who) -> bytes:
    view = item_view(ws, str(item_id))
    return _render(
        "item.html",
        detail=view.detail,
        item=view.detail.item,
        duration=media_duration(view.detail.item.probe or {}),
        frame_size=media_size(view.detail.item),
        frames=view.keyframes,
        tags=view.tags,
        claims=view.claims,
        story=view.story,
        texts=view.texts,
        earliest=view.story.earliest(),
        warnings=view.story.warnings(),
        reverse_search=REVERSE_SEARCH,
        marks=player_marks(view),
        timeline=story(view),
        who=who,
    )


def thumbnail(ws: Workspace, sha256: str) -> bytes:
    """A keyframe's JPEG, when the catalogue records one by this digest."""
    if not recorded_thumbnail(ws, sha256):
        raise NotFound("no such thumbnail")
    return ws.store.read_bytes(sha256, "derived")


@dataclass(frozen=True, slots=True)
class Original:
    sha256: str
    size: int
    mime: str | None
    path: Path


def original(ws: Workspace, item_id: int) -> Original:
    item = item_record(ws, item_id)
    return Original(item.sha256, item.size, item.mime, ws.store.local_file(item.sha256))


def frame_png(ws: Workspace, item_id: int, at: float, name: str, *, actor: str) -> bytes:
    return download_frame(ws, str(item_id), at, name, actor=actor, via="evidence serve").png


def frame_sidecar(ws: Workspace, item_id: int, at: float, name: str) -> bytes:
    return sidecar_text(frame_out(ws, str(item_id), at, name).record).encode()


REVIEW_PAGE = 50
PAIRS = 4  # aligned frame pairs shown side by side on a pair's page


def review_page(ws: Workspace, query: dict[str, list[str]], who: Who) -> bytes:
    """The suggestions no analyst has decided yet, most similar first (`evidence review`)."""
    page = _page_number(query)
    pending = suggestions(ws, limit=page * REVIEW_PAGE + 1)
    shown = pending[(page - 1) * REVIEW_PAGE : page * REVIEW_PAGE]
    thumbs = first_thumbnails(ws, [i for s in shown for i in (s.a.item.id, s.b.item.id)])
    return _render(
        "review.html",
        suggestions=shown,
        thumbs=thumbs,
        page=page,
        more=len(pending) > page * REVIEW_PAGE,
        who=who,
    )


def pair_page(ws: Workspace, relation_id: int, who: Who) -> bytes:
    """A relation's two items side by side: both players, the offset between them, and the frame pairs
    the matcher aligned closest, decoded from the originals."""
    pair = suggestion(ws, relation_id)
    evidence = pair.relation.evidence or {}
    query = evidence.get("query_item", pair.b.item.id)  # older relations: the later item was the query
    target = pair.a.item.id if query == pair.b.item.id else pair.b.item.id
    closest = [c for c in evidence.get("closest", []) if isinstance(c, dict)][:PAIRS]
    moments = {(query, float(c["query_t"])) for c in closest} | {
        (target, float(c["target_t"])) for c in closest
    }
    items = {pair.a.item.id: pair.a.item, pair.b.item.id: pair.b.item}
    stills = {key: base64.b64encode(jpeg).decode() for key, jpeg in stills_at(ws, items, moments).items()}
    offset = float(closest[0]["target_t"]) - float(closest[0]["query_t"]) if closest else 0.0
    in_step = (offset if target == pair.b.item.id else -offset) + 0.0  # the right player's lead; never -0
    return _render(
        "pair.html",
        pair=pair,
        evidence=evidence,
        query=query,
        target=target,
        closest=closest,
        stills=stills,
        offset=offset,
        in_step=in_step,
        kinds=tuple(RelationKind),
        who=who,
    )


def clusters_page(ws: Workspace, query: dict[str, list[str]], who: Who) -> bytes:
    """Groups of items that show the same footage, the earliest known copy marked (`evidence dupes`),
    a page at a time."""
    page = _page_number(query)
    shown, more = cluster_page(ws, start=(page - 1) * REVIEW_PAGE, size=REVIEW_PAGE)
    thumbs = first_thumbnails(ws, [m.item.id for g in shown for m in g.members])
    return _render("clusters.html", clusters=shown, thumbs=thumbs, page=page, more=more, who=who)


def accounts_page(ws: Workspace, who: Who) -> bytes:
    """The accounts (`evidence users list`), for an admin: who may log in, as what, since when."""
    return _render("accounts.html", accounts=list_users(ws), who=who)


def next_pair(ws: Workspace) -> str:
    """After a decision: the most similar suggestion still undecided (its page), else the queue."""
    pending = suggestions(ws, limit=1)
    return f"/review/{pending[0].relation.id}" if pending else "/review"


def terms(ws: Workspace, query: dict[str, list[str]]) -> bytes:
    """The autocomplete's answer for `q`: terms by label, path or alias in any language."""
    text = _one(query, "q") or ""
    found = complete(ws, text)
    return json.dumps(
        [{"path": " › ".join(c.path), "matched": c.matched, "free": c.free} for c in found],
        ensure_ascii=False,
    ).encode()
