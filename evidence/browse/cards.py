"""Use case: the cards of the web application's item list (`evidence serve`): what the list shows of
each item beside its record, read for a page of items at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evidence.catalogue import queries, withdrawals
from evidence.catalogue.annotation_models import Annotation, ClaimItem
from evidence.catalogue.models import Acquisition, Frame, Item
from evidence.workspace import Workspace

PAGE = 60


def _pairs(rows: Sequence[Any]) -> dict[Any, Any]:
    """(key, value) rows as a dict."""
    return {key: value for key, value in rows}


@dataclass(frozen=True, slots=True)
class ItemCard:
    item: Item
    original_name: str | None
    thumbnail: str | None  # sha256 of the first keyframe's JPEG in the derived store
    tags: int  # standing tags
    claims: int  # standing claims about it
    earliest_posted: datetime | None  # the earliest posting time its acquisitions report


@dataclass(frozen=True, slots=True)
class CardPage:
    cards: list[ItemCard]
    page: int
    more: bool  # a next page exists


def item_cards(ws: Workspace, *, page: int = 1, only: list[int] | None = None) -> CardPage:
    """A page of items in catalogue order (`only` these ids, in that order, when given)."""
    page = max(1, page)
    with ws.db.read() as session:
        if only is None:
            # the page's ids first, by the primary key alone: the first names are then looked up for
            # those items only, not for every item skipped on the way to a deep page
            window = select(Item.id).order_by(Item.id).offset((page - 1) * PAGE).limit(PAGE + 1)
            query = queries.items_with_first_name().where(Item.id.in_(window))
            rows = [(item, name) for item, name in session.execute(query).all()]
        else:
            chosen = only[(page - 1) * PAGE : page * PAGE + 1]
            found = {item.id: (item, name) for item, name in queries.list_items(session, only=chosen)}
            rows = [found[i] for i in chosen if i in found]
        more = len(rows) > PAGE
        rows = rows[:PAGE]
        ids = [item.id for item, _ in rows]
        tags: dict[int, int] = _pairs(
            session.execute(
                select(Annotation.item_id, func.count())
                .where(Annotation.item_id.in_(ids), withdrawals.standing("tag", Annotation.id))
                .group_by(Annotation.item_id)
            ).all()
        )
        claims: dict[int, int] = _pairs(
            session.execute(
                select(ClaimItem.item_id, func.count())
                .where(ClaimItem.item_id.in_(ids), withdrawals.standing("claim", ClaimItem.claim_id))
                .group_by(ClaimItem.item_id)
            ).all()
        )
        posted: dict[int, datetime] = _pairs(
            session.execute(
                select(Acquisition.item_id, func.min(Acquisition.posted_at))
                .where(
                    Acquisition.item_id.in_(ids),
                    Acquisition.posted_at.is_not(None),
                    withdrawals.standing("acquisition", Acquisition.id),
                )
                .group_by(Acquisition.item_id)
            ).all()
        )
        thumbnails = _first_thumbnails(session, ids)
    cards = [
        ItemCard(
            item,
            name,
            thumbnails.get(item.id),
            tags.get(item.id, 0),
            claims.get(item.id, 0),
            posted.get(item.id),
        )
        for item, name in rows
    ]
    return CardPage(cards, page, more)


def recorded_thumbnail(ws: Workspace, sha256: str) -> bool:
    """Whether a frame of the catalogue has this thumbnail (what the web application may send)."""
    with ws.db.read() as session:
        return session.scalar(select(Frame.id).where(Frame.thumbnail == sha256).limit(1)) is not None


def item_record(ws: Workspace, item_id: int) -> Item:
    with ws.db.read() as session:
        return queries.resolve_ref(session, str(item_id))


def _first_thumbnails(session: Session, ids: Sequence[int]) -> dict[int, str]:
    first = (
        select(Frame.item_id, func.min(Frame.idx).label("idx"))
        .where(Frame.item_id.in_(ids), Frame.thumbnail.is_not(None))
        .group_by(Frame.item_id)
        .subquery()
    )
    return _pairs(
        session.execute(
            select(Frame.item_id, Frame.thumbnail).join(
                first, (Frame.item_id == first.c.item_id) & (Frame.idx == first.c.idx)
            )
        ).all()
    )


def first_thumbnails(ws: Workspace, ids: Sequence[int]) -> dict[int, str]:
    """Each item's first keyframe thumbnail (sha256 in the derived store), for those that have one."""
    with ws.db.read() as session:
        return _first_thumbnails(session, sorted(set(ids)))
