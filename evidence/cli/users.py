"""`evidence users`: add, list, set: the accounts that sign in to the web application."""

from __future__ import annotations

import getpass
import sys
from typing import Any

import typer

from evidence.cli.app import app, state
from evidence.cli.output import cell, emit_json, message, print_table
from evidence.core.names import Role
from evidence.core.timeutil import iso
from evidence.errors import UsageError

users_app = typer.Typer(
    help="Accounts of the web application: who may sign in, and as what.", no_args_is_help=True
)
app.add_typer(users_app, name="users")

ROLE_HELP = "viewer (reads the catalogue), analyst (also changes it) or admin (also manages the accounts)."
STDIN_HELP = "Read the password as one line from stdin (also what happens when stdin is not a terminal)."


def _terminal() -> bool:
    return sys.stdin.isatty()


def read_password(name: str, *, from_stdin: bool) -> str:
    """A new password: one line from stdin (`--password-stdin`, or stdin is not a terminal), else asked
    twice on the terminal without showing it."""
    from evidence.core.passwords import check_password_rules

    if from_stdin or not _terminal():
        line = sys.stdin.readline()
        if not line.strip("\r\n"):
            raise UsageError("no password on stdin: give it as one line")
        return line.removesuffix("\n").removesuffix("\r")
    try:
        first = getpass.getpass(f"password for {name}: ")
        check_password_rules(first)  # before asking again
        again = getpass.getpass(f"password for {name} again: ")
    except EOFError:
        raise UsageError("no password given; nothing was changed") from None
    if first != again:
        raise UsageError("the two passwords differ; nothing was changed")
    return first


def account_json(view: Any) -> dict[str, Any]:
    return {
        "id": view.id,
        "name": view.name,
        "role": view.role.value,
        "created_at": iso(view.created_at),
        "created_by": view.created_by,
        "disabled": view.disabled,
        "disabled_at": iso(view.disabled_at),
    }


def _said(view: Any) -> str:
    return f"account {view.name} ({view.role}{', disabled' if view.disabled else ''})"


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    name: str = typer.Argument(
        ..., help="The name to sign in with: letters, digits and . _ @ - (unique, ignoring case)."
    ),
    role: Role = typer.Option(..., "--role", help=ROLE_HELP, case_sensitive=False),
    password_stdin: bool = typer.Option(False, "--password-stdin", help=STDIN_HELP),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Add an account; its password is asked twice on the terminal (at least 10 characters)."""
    from evidence.accounts.users import add_user, check_name
    from evidence.workspace import default_actor, open_workspace

    check_name(name)
    with open_workspace(state(ctx).catalogue) as ws:
        password = read_password(name, from_stdin=password_stdin)
        made = add_user(ws, name, role, password, actor=default_actor())
    if json_out:
        emit_json(account_json(made))
    message(f"{_said(made)} added")


@users_app.command("list")
def users_list(
    ctx: typer.Context,
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """The accounts, disabled ones too (never their passwords)."""
    from evidence.accounts.users import list_users
    from evidence.workspace import open_workspace

    with open_workspace(state(ctx).catalogue) as ws:
        found = list_users(ws)
    if json_out:
        emit_json({"accounts": [account_json(a) for a in found]})
        return
    if found:
        rows = [
            [cell(a.name), a.role.value, iso(a.created_at), cell(a.created_by), iso(a.disabled_at) or ""]
            for a in found
        ]
        print_table(
            ("name", "role", "created", "created by", "disabled"), rows, whole=("role", "created", "disabled")
        )
    message(f"{len(found)} accounts")


@users_app.command("set")
def users_set(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The account's name (ignoring case)."),
    role: Role | None = typer.Option(None, "--role", help=ROLE_HELP, case_sensitive=False),
    password: bool = typer.Option(
        False,
        "--password",
        help="Set a new password: asked twice on the terminal, or one line from stdin when stdin is not one.",
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Set a new password read as one line from stdin."
    ),
    disable: bool | None = typer.Option(
        None,
        "--disable/--enable",
        help="Disable the account (it can no longer sign in; its sessions end) or enable it again.",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Change an account's role or password, or disable or enable it; logged as one custody event."""
    from evidence.accounts.users import set_user
    from evidence.workspace import default_actor, open_workspace

    with open_workspace(state(ctx).catalogue) as ws:
        new = read_password(name, from_stdin=password_stdin) if password or password_stdin else None
        changed = set_user(ws, name, role=role, password=new, disabled=disable, actor=default_actor())
    if json_out:
        emit_json(account_json(changed))
    message(f"{_said(changed)} changed")
