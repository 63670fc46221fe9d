"""The named accounts that sign in to the web application. A record like the others: never removed
(a disabled account stays, with when it was disabled); its role, password and disabled time are the
only columns that change, each change logged with the account's new digest."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from evidence.catalogue.base import Base, UTCDateTime


class Account(Base):
    """One person's account: a name (unique, ignoring case), a role (`core.names.Role`) and the
    password as `core.passwords` stores it (never shown, exported or logged)."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # core.names.Role
    password: Mapped[str] = mapped_column(Text)  # core.passwords: scrypt$n$r$p$salt$key
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(Text)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
