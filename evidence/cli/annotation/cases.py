"""`evidence case`: new, add, remove, list, show."""

from __future__ import annotations

from typing import Any

import typer

from evidence.cli.annotation.tags import BY_HELP
from evidence.cli.app import app, state
from evidence.cli.output import cell, emit_json, message, print_table
from evidence.core.text import printable
from evidence.core.timeutil import iso

case_app = typer.Typer(help="Cases: investigations that group items.", no_args_is_help=True)
app.add_typer(case_app, name="case")


def _actor(by: str | None) -> str:
    from evidence.workspace import default_actor

    return by if by is not None else default_actor()


def _name(change: Any) -> str:
    return printable(change.case.name)


@case_app.command("new")
def case_new(
    ctx: typer.Context,
    name: str = typer.Argument(..., help='The name of the case ("Palmyra, March 2016").'),
    note: str | None = typer.Option(None, "--note", help="What the case is about."),
    by: str | None = typer.Option(None, "--by", help=BY_HELP),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Make a case (names are unique, ignoring case)."""
    from evidence.annotation.cases import new_case
    from evidence.workspace import open_workspace

    with open_workspace(state(ctx).catalogue) as ws:
        made = new_case(ws, name, note=note, actor=_actor(by))
    if json_out:
        emit_json({"id": made.id, "name": made.name, "note": made.note, "created_at": iso(made.created_at)})
        return
    typer.echo(f"case {made.id}: {printable(made.name)}")


@case_app.command("add")
def case_add(
    ctx: typer.Context,
    case: str = typer.Argument(..., help="The case: its id or name."),
    refs: list[str] = typer.Argument(..., help="Items (ids or sha256 prefixes)."),
    note: str | None = typer.Option(None, "--note", help="Why they belong to the case."),
    by: str | None = typer.Option(None, "--by", help=BY_HELP),
) -> None:
    """Put items in a case (those already in it stay as they are)."""
    from evidence.annotation.cases import add_to_case
    from evidence.workspace import open_workspace

    with open_workspace(state(ctx).catalogue) as ws:
        change = add_to_case(ws, case, refs, note=note, actor=_actor(by))
    for item in change.changed:
        typer.echo(f"#{item.id} {item.sha256[:12]} put in case {change.case.id} {_name(change)}")
    for item in change.unchanged:
        message(f"#{item.id} {item.sha256[:12]} was already in the case")


@case_app.command("remove")
def case_remove(
    ctx: typer.Context,
    case: str = typer.Argument(..., help="The case: its id or name."),
    refs: list[str] = typer.Argument(..., help="Items (ids or sha256 prefixes)."),
    note: str = typer.Option(..., "--note", help="Why they are taken out (kept with the record)."),
    by: str | None = typer.Option(None, "--by", help=BY_HELP),
) -> None:
    """Take items out of a case; that they were in it, and why they left, stay on record."""
    from evidence.annotation.cases import remove_from_case
    from evidence.workspace import open_workspace

    with open_workspace(state(ctx).catalogue) as ws:
        change = remove_from_case(ws, case, refs, note=note, actor=_actor(by))
    for item in change.changed:
        typer.echo(f"#{item.id} {item.sha256[:12]} taken out of case {change.case.id} {_name(change)}")
    for item in change.unchanged:
        message(f"#{item.id} {item.sha256[:12]} was not in the case")


@case_app.command("list")
def case_list(
    ctx: typer.Context,
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """The cases, with how many items each holds."""
    from evidence.annotation.cases import list_cases
    from evidence.workspace import open_workspace

    with open_workspace(state(ctx).catalogue) as ws:
        found = list_cases(ws)
    if json_out:
        emit_json(
            {
                "cases": [
                    {"id": c.id, "name": c.name, "note": c.note, "items": n, "created_at": iso(c.created_at)}
                    for c, n in found
                ]
            }
        )
        return
    if found:
        rows = [[str(c.id), cell(c.name), str(n), cell(c.note)] for c, n in found]
        print_table(("id", "name", "items", "note"), rows, whole=("id", "items"))
    message(f"{len(found)} cases")


@case_app.command("show")
def case_show(
    ctx: typer.Context,
    case: str = typer.Argument(..., help="The case: its id or name."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """A case and the items in it."""
    from evidence.annotation.cases import show_case
    from evidence.catalogue.views import item_dict
    from evidence.workspace import open_workspace

    with open_workspace(state(ctx).catalogue) as ws:
        view = show_case(ws, case)
    c = view.case
    if json_out:
        emit_json(
            {
                "id": c.id,
                "name": c.name,
                "note": c.note,
                "created_at": iso(c.created_at),
                "created_by": c.created_by,
                "items": [item_dict(item, original_name=name) for item, name in view.items],
            }
        )
        return
    typer.echo(f"case {c.id}: {printable(c.name)}" + (f" — {printable(c.note)}" if c.note else ""))
    rows = [[str(i.id), i.sha256[:12], i.kind, cell(name)] for i, name in view.items]
    if rows:
        print_table(("id", "sha256", "kind", "original name"), rows, whole=("id", "sha256", "kind"))
    message(f"{len(view.items)} items in case {c.id}")


def check_case(ctx: typer.Context, case: str) -> None:
    from evidence.catalogue import cases
    from evidence.workspace import open_workspace

    with open_workspace(state(ctx).catalogue) as ws, ws.db.read() as session:
        cases.find(session, case)


def put_in_case(ctx: typer.Context, case: str, item_ids: list[int]) -> None:
    """Put what `add` or `capture` preserved (new items and bytes already held) in the case."""
    from evidence.annotation.cases import add_to_case
    from evidence.workspace import default_actor, open_workspace

    if not item_ids:
        return
    with open_workspace(state(ctx).catalogue) as ws:
        change = add_to_case(ws, case, [str(i) for i in item_ids], note=None, actor=default_actor())
    if change.changed:
        message(f"{len(change.changed)} put in case {change.case.id} ({printable(change.case.name)})")
