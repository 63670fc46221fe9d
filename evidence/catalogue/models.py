"""The catalogue's tables as typed SQLAlchemy 2.x models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evidence.catalogue.base import Base, JSONText, UTCDateTime


class Item(Base):
    """One piece of content, identified by the SHA-256 of its bytes."""

    __tablename__ = "item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    mime: Mapped[str | None] = mapped_column(String(100))
    declared_ext: Mapped[str] = mapped_column(String(32), default="")
    probe: Mapped[dict[str, Any] | None] = mapped_column(JSONText)
    analysis: Mapped[str] = mapped_column(String(400), default="pending")
    first_catalogued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    analysed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    acquisitions: Mapped[list[Acquisition]] = relationship(
        back_populates="item", lazy="raise", order_by="Acquisition.id"
    )


class Acquisition(Base):
    """One way we got an item: a file, from a source, at a time, by someone."""

    __tablename__ = "acquisition"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="RESTRICT"), index=True)
    original_name: Mapped[str] = mapped_column(Text)
    original_path: Mapped[str] = mapped_column(Text)
    original_path_raw: Mapped[bytes | None] = mapped_column(LargeBinary)
    source_url: Mapped[str | None] = mapped_column(Text)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    posted_at_precision: Mapped[str | None] = mapped_column(String(16))
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(Text)
    collected_by: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    tool_version: Mapped[str] = mapped_column(String(64))
    source_mtime: Mapped[datetime | None] = mapped_column(UTCDateTime)

    item: Mapped[Item] = relationship(back_populates="acquisitions", lazy="raise")


class Event(Base):
    """The custody log. Append-only: triggers refuse UPDATE and DELETE."""

    __tablename__ = "event"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONText)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    __table_args__ = (Index("ix_event_subject", "subject"),)
