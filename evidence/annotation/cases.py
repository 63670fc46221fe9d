"""Use cases of `evidence case`: make a case, put items in it and take them out, list the cases and
show one. Each owns its transaction; every change is logged (`catalogue.cases`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from evidence.catalogue import cases, queries
from evidence.catalogue.annotation_models import Case
from evidence.catalogue.models import Item
from evidence.core.text import required_text
from evidence.errors import UsageError
from evidence.workspace import Workspace


def new_case(ws: Workspace, name: str, *, note: str | None, actor: str) -> Case:
    with ws.db.write() as session:
        return cases.create(session, name, note=note, actor=required_text(actor, what="the actor (--by)"))


def add_to_case(
    ws: Workspace, case: str, refs: Sequence[str], *, note: str | None, actor: str
) -> cases.Change:
    if not refs:
        raise UsageError("name at least one item to put in the case")
    with ws.db.write() as session:
        found = cases.find(session, case)
        items = [queries.resolve_ref(session, ref) for ref in refs]
        return cases.put_in(session, found, items, note=note, actor=actor)


def remove_from_case(ws: Workspace, case: str, refs: Sequence[str], *, note: str, actor: str) -> cases.Change:
    why = required_text(note, what="the reason (--note)")
    if not refs:
        raise UsageError("name at least one item to take out of the case")
    with ws.db.write() as session:
        found = cases.find(session, case)
        items = [queries.resolve_ref(session, ref) for ref in refs]
        change = cases.take_out(session, found, items, note=why, actor=actor)
    return change


def list_cases(ws: Workspace) -> list[tuple[Case, int]]:
    with ws.db.read() as session:
        return cases.summary(session)


@dataclass(frozen=True, slots=True)
class CaseView:
    case: Case
    items: list[tuple[Item, str | None]]  # with the original name of the first acquisition


def show_case(ws: Workspace, case: str) -> CaseView:
    with ws.db.read() as session:
        found = cases.find(session, case)
        query = queries.items_with_first_name().where(Item.id.in_(cases.members(found.id)))
        rows = [(item, name) for item, name in session.execute(query).all()]
        return CaseView(found, rows)


def case_items(ws: Workspace, case: str) -> tuple[Case, list[int]]:
    """A case and the ids of its items, for a command scoped to it (`--case`); refused when it holds
    none (a scope of nothing would read as "everything" to an export)."""
    with ws.db.read() as session:
        found = cases.find(session, case)
        ids = sorted(session.scalars(cases.members(found.id)))
    if not ids:
        raise UsageError(
            f"case {found.id} ({found.name}) holds no items yet: `evidence case add {found.id} REF…`"
        )
    return found, ids
