"""Accounts of the web application: found by name (ignoring case), made and changed, each change logged
on the account (`account:<id>`) with its new digest. The details say who and what changed, never the
password or its hash. Functions take a Session and never commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evidence.catalogue import custody
from evidence.catalogue.account_models import Account
from evidence.catalogue.models import Event
from evidence.core.custody import CustodyAction
from evidence.errors import UsageError


def by_name(session: Session, name: str) -> Account | None:
    """The account of this name, ignoring case (names are ASCII, so SQL's lower() and Python's agree)."""
    return session.scalars(select(Account).where(func.lower(Account.name) == name.lower())).first()


def every(session: Session) -> list[Account]:
    return list(session.scalars(select(Account).order_by(Account.id)))


def subject(account_id: int) -> str:
    return f"account:{account_id}"


def last_logged(session: Session, account_ids: list[int]) -> dict[int, int]:
    """The seq of the newest custody event on each of these accounts (by the subject's index)."""
    subjects = {subject(i): i for i in account_ids}
    query = (
        select(Event.subject, func.max(Event.seq)).where(Event.subject.in_(subjects)).group_by(Event.subject)
    )
    return {subjects[name]: int(seq) for name, seq in session.execute(query)}


def create(session: Session, name: str, role: str, password: str, *, actor: str) -> Account:
    """A new account with this (already hashed) password; refused when the name is taken, ignoring case."""
    existing = by_name(session, name)
    if existing is not None:
        raise UsageError(f"account {existing.name} exists (names are unique, ignoring case)")
    row = Account(name=name, role=role, password=password, created_at=custody.now(), created_by=actor)
    session.add(row)
    session.flush()
    custody.append(
        session,
        actor=actor,
        action=CustodyAction.ACCOUNT_ADD,
        subject=subject(row.id),
        details={"account": row.id, "name": row.name, "role": row.role},
        records=[("account", row.id)],
    )
    return row


def change(
    session: Session,
    account: Account,
    *,
    role: str | None,
    password: str | None,
    disabled: bool | None,
    actor: str,
) -> list[str]:
    """Set what is given and differs from the account as it stands (a password, already hashed, always
    does), logged as one event; returns what changed, in this order: role, password, disabled."""
    changed: list[str] = []
    details: dict[str, Any] = {"account": account.id, "name": account.name}
    if role is not None and role != account.role:
        account.role = role
        changed.append("role")
        details["role"] = role
    if password is not None:
        account.password = password
        changed.append("password")
    if disabled is not None and disabled != (account.disabled_at is not None):
        account.disabled_at = custody.now() if disabled else None
        changed.append("disabled")
        details["disabled"] = disabled
    if changed:
        custody.append(
            session,
            actor=actor,
            action=CustodyAction.ACCOUNT_CHANGE,
            subject=subject(account.id),
            details={**details, "changed": changed},
            records=[("account", account.id)],
        )
    return changed
