"""Read queries. They take a Session and never commit."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any, TypeVar, cast

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from evidence.catalogue import withdrawals
from evidence.catalogue.among import among
from evidence.catalogue.annotation_models import Withdrawal
from evidence.catalogue.models import Acquisition, Item
from evidence.core.bounds import can_be_id, whole
from evidence.errors import NotFound

_HEX = re.compile(r"^[0-9a-f]+$")
_DIGITS = re.compile(r"^[0-9]+$")  # ASCII only: str.isdigit() also takes "²", which int() refuses
MIN_PREFIX = 6

Record = TypeVar("Record")


def by_id[Record](session: Session, model: type[Record], record_id: int) -> Record | None:
    """The record with this id, or None, also for an id no record can have (never bound in a query)."""
    return session.get(model, record_id) if can_be_id(record_id) else None


def resolve_ref(session: Session, ref: str) -> Item:
    """An item by id (digits) or by a unique sha256 prefix of at least 6 hex digits."""
    text = ref.strip().lower().removeprefix("sha256:")
    if _DIGITS.match(text) and len(text) < MIN_PREFIX:
        item = by_id(session, Item, int(text))
        if item is None:
            raise NotFound(f"no item with id {text}: see `evidence list`")
        return item
    if not _HEX.match(text) or len(text) < MIN_PREFIX or len(text) > 64:
        raise NotFound(
            f"{ref!r} is neither an item id nor a sha256 prefix of 6 to 64 hex digits: see `evidence list`"
        )
    # a prefix range scan uses the unique index on both SQLite and PostgreSQL
    upper = text + "g"
    matches = list(
        session.scalars(
            select(Item).where(Item.sha256 >= text, Item.sha256 < upper).order_by(Item.id).limit(2)
        )
    )
    if not matches and _DIGITS.match(text):
        item = by_id(session, Item, int(text))
        if item is not None:
            return item
    if not matches:
        raise NotFound(f"no item whose sha256 starts with {text}: see `evidence list`")
    if len(matches) > 1:
        raise NotFound(f"the sha256 prefix {text} matches several items: give more digits")
    return matches[0]


def items_with_first_name() -> Select[Any]:
    """Items in catalogue order with the original name of their first standing acquisition (looked up
    for each item the query returns, by the index on `acquisition.item_id`: never a pass over every
    acquisition)."""
    first_name = (
        select(Acquisition.original_name)
        .where(Acquisition.item_id == Item.id, withdrawals.standing("acquisition", Acquisition.id))
        .order_by(Acquisition.id)
        .limit(1)
        .correlate(Item)
        .scalar_subquery()
    )
    return cast("Select[Any]", select(Item, first_name.label("original_name")).order_by(Item.id))


def list_items(
    session: Session, *, limit: int | None = None, only: Collection[int] | None = None
) -> list[tuple[Item, str | None]]:
    """Items in catalogue order (`only` these ids, when given) with the original name of their first
    acquisition."""
    query = items_with_first_name()
    if only is not None:
        query = query.where(among(Item.id, only))
    if limit is not None:
        query = query.limit(whole(limit, "--limit", minimum=1))
    return [(item, name) for item, name in session.execute(query).all()]


def acquisitions_of(session: Session, item_id: int) -> list[Acquisition]:
    """An item's acquisitions that stand (not corrected since), in the order they were made."""
    query = select(Acquisition).where(
        Acquisition.item_id == item_id, withdrawals.standing("acquisition", Acquisition.id)
    )
    return list(session.scalars(query.order_by(Acquisition.id)))


def acquisitions_by_item(session: Session, item_ids: Collection[int]) -> dict[int, list[Acquisition]]:
    """`acquisitions_of` for several items at once (each item's list; empty when it has none)."""
    out: dict[int, list[Acquisition]] = {i: [] for i in item_ids}
    if not out:
        return out
    query = select(Acquisition).where(
        among(Acquisition.item_id, out), withdrawals.standing("acquisition", Acquisition.id)
    )
    for acq in session.scalars(query.order_by(Acquisition.id)):
        out[acq.item_id].append(acq)
    return out


def corrected_acquisitions_of(session: Session, item_id: int) -> list[tuple[Acquisition, Withdrawal]]:
    """An item's acquisitions withdrawn by a correction, each with its withdrawal (who, when, why)."""
    query = select(Acquisition, Withdrawal).join(
        Withdrawal, (Withdrawal.record == "acquisition") & (Withdrawal.record_id == Acquisition.id)
    )
    rows = session.execute(query.where(Acquisition.item_id == item_id).order_by(Acquisition.id))
    return [(acq, gone) for acq, gone in rows]


def item_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Item)) or 0)
