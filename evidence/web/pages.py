"""The pages of `evidence serve`, each built from the use cases the command line calls (`browse`,
`annotation`): nothing here reads the database on its own or decides anything the CLI decides."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jinja2 import PackageLoader

from evidence.annotation.claims import list_claims
from evidence.annotation.tags import list_tags
from evidence.browse.cards import item_cards, item_record, recorded_thumbnail
from evidence.browse.items import list_frames, show_item
from evidence.browse.provenance import provenance
from evidence.browse.search import SearchQuery, search
from evidence.catalogue.views import media_duration
from evidence.errors import NotFound, UsageError
from evidence.exports.frame import download_frame, frame_out, sidecar_text
from evidence.exports.render.html import environment
from evidence.workspace import Workspace

ENV = environment(PackageLoader("evidence.web", "templates"))
FILTERS = ("tag", "claimed_by", "place", "text", "since", "until", "kind", "case")
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


def _render(name: str, **context: object) -> bytes:
    return ENV.get_template(name).render(**context).encode()


def error(status: int, message: str) -> bytes:
    return _render("error.html", status=status, message=message)


def _one(query: dict[str, list[str]], name: str) -> str | None:
    values = [v.strip() for v in query.get(name, []) if v.strip()]
    return values[-1] if values else None


def _page_number(query: dict[str, list[str]]) -> int:
    text = _one(query, "page") or "1"
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 1_000_000:
        raise UsageError("page must be a whole number from 1")
    return int(text)


def items_page(ws: Workspace, query: dict[str, list[str]]) -> bytes:
    """The item list, filtered as `evidence search` filters (each criterion once here)."""
    chosen = {name: value for name in FILTERS if (value := _one(query, name)) is not None}
    page = _page_number(query)
    only = None
    if chosen:
        criteria = SearchQuery(
            tags=tuple(filter(None, [chosen.get("tag")])),
            claimed_by=tuple(filter(None, [chosen.get("claimed_by")])),
            places=tuple(filter(None, [chosen.get("place")])),
            texts=tuple(filter(None, [chosen.get("text")])),
            since=chosen.get("since"),
            until=chosen.get("until"),
            kind=chosen.get("kind"),
            case=chosen.get("case"),
        )
        only = [hit.item.id for hit in search(ws, criteria).hits]
    cards = item_cards(ws, page=page, only=only)
    durations = {c.item.id: media_duration(c.item.probe or {}) for c in cards.cards}
    return _render("items.html", cards=cards, chosen=chosen, durations=durations, filters=FILTERS)


def item_page(ws: Workspace, item_id: int) -> bytes:
    ref = str(item_id)
    detail = show_item(ws, ref)
    frames = [f.frame for f in list_frames(ws, ref).frames if f.frame.keyframe and f.frame.thumbnail]
    tags = list_tags(ws, ref).tags
    claims = list_claims(ws, ref).claims
    story = provenance(ws, ref)
    return _render(
        "item.html",
        detail=detail,
        item=detail.item,
        duration=media_duration(detail.item.probe or {}),
        frames=frames,
        tags=tags,
        claims=claims,
        story=story,
        earliest=story.earliest(),
        warnings=story.warnings(),
        reverse_search=REVERSE_SEARCH,
    )


def thumbnail(ws: Workspace, sha256: str) -> bytes:
    """A keyframe's JPEG, when the catalogue records one by this digest."""
    if not recorded_thumbnail(ws, sha256):
        raise NotFound("no such thumbnail")
    return ws.store.path_for(sha256, "derived").read_bytes()


@dataclass(frozen=True, slots=True)
class Original:
    sha256: str
    size: int
    mime: str | None
    path: Path


def original(ws: Workspace, item_id: int) -> Original:
    item = item_record(ws, item_id)
    return Original(item.sha256, item.size, item.mime, ws.store.path_for(item.sha256))


def frame_png(ws: Workspace, item_id: int, at: float, name: str, *, actor: str) -> bytes:
    return download_frame(ws, str(item_id), at, name, actor=actor, via="evidence serve").png


def frame_sidecar(ws: Workspace, item_id: int, at: float, name: str) -> bytes:
    return sidecar_text(frame_out(ws, str(item_id), at, name).record).encode()
