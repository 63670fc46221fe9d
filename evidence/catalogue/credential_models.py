"""Content credentials (C2PA) read from an item's bytes when it was analysed. Append-only like the
other records: a later reading that differs (another version of the reader) is a new row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from evidence.catalogue.base import Base, JSONText, UTCDateTime


class ContentCredential(Base):
    """What an item's C2PA manifest says and whether it validates: the signer (the certificate's common
    name) and its organisation, the tool that made the claim, the declared actions and ingredients, and
    apart from one another the claim signature, the hard binding to the item's bytes and whether the
    signer's certificate is on a trust list. `problem` says why a manifest present could not be read."""

    __tablename__ = "content_credential"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="RESTRICT"), index=True)
    signer: Mapped[str | None] = mapped_column(Text)
    issuer: Mapped[str | None] = mapped_column(Text)
    claim_generator: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    actions: Mapped[list[Any] | None] = mapped_column(JSONText)
    ingredients: Mapped[list[Any] | None] = mapped_column(JSONText)
    signature_valid: Mapped[bool | None] = mapped_column(Boolean)
    binding_valid: Mapped[bool | None] = mapped_column(Boolean)  # None: no hard binding was checked
    trusted: Mapped[bool | None] = mapped_column(Boolean)
    codes: Mapped[list[Any] | None] = mapped_column(JSONText)  # the C2PA validation failure codes
    problem: Mapped[str | None] = mapped_column(Text)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_by: Mapped[str] = mapped_column(Text)
