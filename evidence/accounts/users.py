"""Use cases of `evidence users` and of the web application's sign-in: add an account, change its role,
password or whether it is disabled, list the accounts, read one, check a name and password. Each owns
its transaction; every change is logged (`catalogue.accounts`). Passwords are hashed and checked
outside the transactions (scrypt takes a tenth of a second; SQLite's transactions take its lock)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from evidence.catalogue import accounts
from evidence.catalogue.account_models import Account
from evidence.core.names import Role
from evidence.core.passwords import (
    MAX_LENGTH,
    burn_time,
    check_password,
    check_password_rules,
    hash_password,
)
from evidence.core.text import printable, required_text
from evidence.errors import NotFound, UsageError
from evidence.workspace import Workspace

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}", re.ASCII)
NAME_RULE = "1 to 64 of the letters A-Z and a-z, digits and . _ @ -, starting with a letter or digit"


@dataclass(frozen=True)
class AccountView:
    """An account as the interfaces see it: everything but the password. `stamp` changes whenever the
    password, the role or the disabled state does: a session that keeps it ends with such a change."""

    id: int
    name: str
    role: Role
    created_at: datetime
    created_by: str
    disabled_at: datetime | None
    stamp: str

    @property
    def disabled(self) -> bool:
        return self.disabled_at is not None


def stamp(account: Account, logged: int | None) -> str:
    """16 hex digits over the password (its salt is new with each one), the role and the disabled time
    as stored, and the newest custody event on the account: enabling an account again does not bring
    back the sessions it had before it was disabled."""
    disabled = account.disabled_at.isoformat() if account.disabled_at is not None else ""
    state = "\0".join((account.password, account.role, disabled, str(logged or 0)))
    return hashlib.sha256(state.encode("utf-8")).hexdigest()[:16]


def views(session: Session, rows: Sequence[Account]) -> list[AccountView]:
    logged = accounts.last_logged(session, [r.id for r in rows])
    return [
        AccountView(
            id=r.id,
            name=r.name,
            role=Role(r.role),
            created_at=r.created_at,
            created_by=r.created_by,
            disabled_at=r.disabled_at,
            stamp=stamp(r, logged.get(r.id)),
        )
        for r in rows
    ]


def valid_name(name: str) -> bool:
    return NAME.fullmatch(name) is not None


def check_name(name: str) -> str:
    if not valid_name(name):
        raise UsageError(f"{printable(name)!r} is not an account name: {NAME_RULE}")
    return name


def as_role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise UsageError(
            f"no role {printable(str(role))!r}: choose one of {', '.join(r.value for r in Role)}"
        ) from None


def add_user(ws: Workspace, name: str, role: Role | str, password: str, *, actor: str) -> AccountView:
    """A new account; refused (UsageError, nothing written) for a name taken ignoring case, a name or
    role that is not one, or a password the rules refuse."""
    check_name(name)
    chosen = as_role(role)
    check_password_rules(password)
    who = required_text(actor, what="the actor")
    stored = hash_password(password)
    with ws.db.write() as session:
        return views(session, [accounts.create(session, name, chosen.value, stored, actor=who)])[0]


def set_user(
    ws: Workspace,
    name: str,
    *,
    role: Role | str | None = None,
    password: str | None = None,
    disabled: bool | None = None,
    actor: str,
) -> AccountView:
    """Change an account's role, password or disabled state, logged as one event; NotFound for no such
    account, UsageError when nothing is asked or what is asked already holds (nothing written)."""
    if role is None and password is None and disabled is None:
        raise UsageError("say what to change: a role, a password, or disable or enable the account")
    chosen = as_role(role) if role is not None else None
    if password is not None:
        check_password_rules(password)
    who = required_text(actor, what="the actor")
    stored = hash_password(password) if password is not None else None
    with ws.db.write() as session:
        found = accounts.by_name(session, name) if valid_name(name) else None
        if found is None:
            raise NotFound(f"no account {printable(name)!r}: see `evidence users list`")
        changed = accounts.change(
            session,
            found,
            role=chosen.value if chosen is not None else None,
            password=stored,
            disabled=disabled,
            actor=who,
        )
        if not changed:
            state = "disabled" if found.disabled_at is not None else "enabled"
            raise UsageError(f"account {found.name} is already {found.role} and {state}: nothing to change")
        return views(session, [found])[0]


def list_users(ws: Workspace) -> list[AccountView]:
    """Every account, oldest first (disabled ones too)."""
    with ws.db.read() as session:
        return views(session, accounts.every(session))


def account(ws: Workspace, account_id: int) -> AccountView | None:
    """The account with this id as it stands now (a session's check on each request), or None."""
    with ws.db.read() as session:
        found = session.get(Account, account_id)
        return views(session, [found])[0] if found is not None else None


def authenticate(ws: Workspace, name: str, password: str) -> AccountView | None:
    """The account whose name (ignoring case) and password these are, unless it is disabled; else None.
    A name with no account costs the same time as a wrong password."""
    if len(password) > MAX_LENGTH:
        burn_time("")
        return None
    found, stored = None, ""
    if valid_name(name):
        with ws.db.read() as session:
            row = accounts.by_name(session, name)
            if row is not None:
                found, stored = views(session, [row])[0], row.password
    if found is None:
        burn_time(password)
        return None
    if not check_password(password, stored) or found.disabled:
        return None
    return found
