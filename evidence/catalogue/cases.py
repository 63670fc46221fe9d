"""Cases: investigations that group items ("Palmyra, March 2016"). A case is found by its id or its
name (case-folded); an item is in a case while its `case_item` row stands (taking it out withdraws the
row; it may be put in again). Every change is logged on the item. Functions take a Session and never
commit; the features use them to scope what they list, search, cluster and export."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from evidence.catalogue import custody, withdrawals
from evidence.catalogue.annotation_models import Case, CaseItem
from evidence.catalogue.models import Item
from evidence.core.custody import CustodyAction
from evidence.core.text import printable, required_text, user_text
from evidence.core.vocab import normalise
from evidence.errors import NotFound, UsageError


def find(session: Session, ref: str) -> Case:
    """The case a user names: its id, or its name ignoring case."""
    text = ref.strip()
    if text.isdigit():
        found = session.get(Case, int(text))
        if found is not None:
            return found
    found = session.scalars(select(Case).where(Case.name_key == normalise(text))).first()
    if found is None:
        raise NotFound(
            f"no case {printable(text)!r}: see `evidence case list`, or make it with `evidence case new`"
        )
    return found


def create(session: Session, name: str, *, note: str | None, actor: str) -> Case:
    """A new case; refused when a case of that name (ignoring case) exists."""
    label = required_text(name, what="the case's name")
    key = normalise(label)
    if label.strip().isdigit():
        raise UsageError("a case's name cannot be only digits (ids are): give it a name that says what it is")
    existing = session.scalars(select(Case).where(Case.name_key == key)).first()
    if existing is not None:
        raise UsageError(f"there is already a case {printable(existing.name)!r} (#{existing.id})")
    row = Case(
        name=label.strip(),
        name_key=key,
        note=user_text(note, what="--note"),
        created_at=custody.now(),
        created_by=actor,
    )
    session.add(row)
    session.flush()
    custody.append(
        session,
        actor=actor,
        action=CustodyAction.CASE_NEW,
        subject=f"case:{row.id}",
        details={"case": row.id, "name": row.name, "note": row.note},
        records=[("case", row.id)],
    )
    return row


def members(case_id: int) -> Select[Any]:
    """The ids of the items in a case, as a selectable (`Item.id.in_(members(...))`)."""
    return select(CaseItem.item_id).where(
        CaseItem.case_id == case_id, withdrawals.standing("case_item", CaseItem.id)
    )


def standing_rows(session: Session, case_id: int, item_ids: Iterable[int]) -> dict[int, CaseItem]:
    """The standing `case_item` rows of these items in a case, by item id."""
    ids = list(item_ids)
    if not ids:
        return {}
    rows = session.scalars(
        select(CaseItem).where(
            CaseItem.case_id == case_id,
            CaseItem.item_id.in_(ids),
            withdrawals.standing("case_item", CaseItem.id),
        )
    )
    return {r.item_id: r for r in rows}


@dataclass(frozen=True, slots=True)
class Change:
    case: Case
    changed: list[Item]  # put in (or taken out)
    unchanged: list[Item]  # already in (or not in)


def put_in(session: Session, case: Case, items: Iterable[Item], *, note: str | None, actor: str) -> Change:
    """Put items in a case (those already in it are left as they are), each logged on the item."""
    wanted = {i.id: i for i in items}
    there = standing_rows(session, case.id, wanted)
    changed = []
    for item in wanted.values():
        if item.id in there:
            continue
        row = CaseItem(case_id=case.id, item_id=item.id, note=note, added_at=custody.now(), added_by=actor)
        session.add(row)
        session.flush()
        custody.append(
            session,
            actor=actor,
            action=CustodyAction.CASE_ADD,
            subject=f"item:{item.sha256}",
            details={"case": case.id, "name": case.name, "note": note},
            records=[("case_item", row.id)],
        )
        changed.append(item)
    return Change(case, changed, [i for i in wanted.values() if i.id in there])


def take_out(session: Session, case: Case, items: Iterable[Item], *, note: str, actor: str) -> Change:
    """Take items out of a case: each membership is withdrawn (kept, with who, when and why)."""
    wanted = {i.id: i for i in items}
    there = standing_rows(session, case.id, wanted)
    changed = []
    for item in wanted.values():
        row = there.get(item.id)
        if row is None:
            continue
        taken = withdrawals.take_back(session, "case_item", row.id, actor=actor, note=note)
        custody.append(
            session,
            actor=actor,
            action=CustodyAction.CASE_REMOVE,
            subject=f"item:{item.sha256}",
            details={"case": case.id, "name": case.name, "note": note},
            records=[("withdrawal", taken.id)],
        )
        changed.append(item)
    return Change(case, changed, [i for i in wanted.values() if i.id not in there])


def summary(session: Session) -> list[tuple[Case, int]]:
    """Every case with how many items are in it, oldest first."""
    counts = dict(
        session.execute(
            select(CaseItem.case_id, func.count())
            .where(withdrawals.standing("case_item", CaseItem.id))
            .group_by(CaseItem.case_id)
        ).all()
    )
    return [(c, int(counts.get(c.id, 0))) for c in session.scalars(select(Case).order_by(Case.id))]


def of_item(session: Session, item_id: int) -> list[Case]:
    """The cases an item is in."""
    ids = select(CaseItem.case_id).where(
        CaseItem.item_id == item_id, withdrawals.standing("case_item", CaseItem.id)
    )
    return list(session.scalars(select(Case).where(Case.id.in_(ids)).order_by(Case.id)))
