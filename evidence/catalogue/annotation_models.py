"""What analysts record about items: the vocabulary, tags (annotations), claimants, places, claims and
described contents. Rows are added, never changed or removed (database triggers refuse it), except a
term's place and note and a place's coordinates; a withdrawal is a row of its own. Every change goes with
a custody event, written by the use case that makes it, that carries the digest of the record's state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from evidence.catalogue.base import BIG_ID, Base, UTCDateTime


class Term(Base):
    """One node of the vocabulary of observable things (weapon › small arms › rifle › AK-74M).

    `label_key` is the label normalised for lookups (NFKC, case-folded, single spaces); `scope` is the
    parent's id or 0 at the root, so that (scope, label_key) is unique among siblings on every backend.
    A `free` term was made by tagging with a label the vocabulary did not have."""

    __tablename__ = "term"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("term.id", ondelete="RESTRICT"), index=True)
    scope: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(Text)
    label_key: Mapped[str] = mapped_column(Text)
    free: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("scope", "label_key", name="uq_term_scope_label_key"),)


class TermAlias(Base):
    """Another name of a term, in any language and script (АК-74М for AK-74M). An alias names one term
    per language: `language` is a BCP 47 tag, or "" when not given."""

    __tablename__ = "term_alias"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id", ondelete="RESTRICT"), index=True)
    alias: Mapped[str] = mapped_column(Text)
    alias_key: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(35), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("alias_key", "language", name="uq_term_alias_alias_key_language"),)


class Annotation(Base):
    """A tag: a term on an item, a frame, a time range and/or a box.

    Times are seconds of the displayed (rotated) video; a frame tag also carries its frame's time as
    `t_start`. A box is in pixels of the displayed frame, whose size is kept with it, so the tag is a W3C
    media fragment (`t=10,12&xywh=100,200,150,60`). Withdrawing a tag adds a `Withdrawal`; the row stays."""

    __tablename__ = "annotation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="RESTRICT"), index=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id", ondelete="RESTRICT"), index=True)
    frame_id: Mapped[int | None] = mapped_column(BIG_ID, ForeignKey("frame.id", ondelete="RESTRICT"))
    t_start: Mapped[float | None] = mapped_column(Float)
    t_end: Mapped[float | None] = mapped_column(Float)
    box_x: Mapped[int | None] = mapped_column(Integer)
    box_y: Mapped[int | None] = mapped_column(Integer)
    box_w: Mapped[int | None] = mapped_column(Integer)
    box_h: Mapped[int | None] = mapped_column(Integer)
    frame_width: Mapped[int | None] = mapped_column(Integer)
    frame_height: Mapped[int | None] = mapped_column(Integer)
    confidence: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    annotator: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16), default="manual")  # manual | machine | imported
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("confidence IS NULL OR (confidence >= 0 AND confidence <= 1)", name="confidence"),
    )


class Claimant(Base):
    """Who makes claims: a person, an organisation, an outlet. One record per name (case-folded)."""

    __tablename__ = "claimant"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    name_key: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(Text)


class Place(Base):
    """A named place, with coordinates (WGS 84 degrees) and their precision when known."""

    __tablename__ = "place"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    name_key: Mapped[str] = mapped_column(Text, unique=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    precision: Mapped[str | None] = mapped_column(Text)  # e.g. "exact", "5km", "town"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(Text)


class Claim(Base):
    """A statement: who said what, when they said it (`said_on`), where it was made (`url`) and in which
    language; a claim that asserts an event also says when and where it happened (`claimed_date`,
    `place_id`). A counter-claim names the claim it disputes (`counters_id`) and asserts no event: it
    has no event date or place of its own."""

    __tablename__ = "claim"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claimant_id: Mapped[int] = mapped_column(ForeignKey("claimant.id", ondelete="RESTRICT"), index=True)
    statement: Mapped[str] = mapped_column(Text)
    claimed_date: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_date_precision: Mapped[str | None] = mapped_column(String(16))
    said_on: Mapped[datetime | None] = mapped_column(UTCDateTime)
    said_on_precision: Mapped[str | None] = mapped_column(String(16))
    place_id: Mapped[int | None] = mapped_column(ForeignKey("place.id", ondelete="RESTRICT"), index=True)
    url: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(35))
    counters_id: Mapped[int | None] = mapped_column(ForeignKey("claim.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(Text)


class ClaimItem(Base):
    """Which items a claim is about."""

    __tablename__ = "claim_item"

    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id", ondelete="RESTRICT"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="RESTRICT"), primary_key=True)

    __table_args__ = (Index("ix_claim_item_item_id", "item_id"),)


class Description(Base):
    """Something a claim or a source says the footage shows ("a compass"), to be checked against what
    analysts have observed (tags of that term or below it)."""

    __tablename__ = "description"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="RESTRICT"), index=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id", ondelete="RESTRICT"), index=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claim.id", ondelete="RESTRICT"), index=True)
    source: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(Text)


class Withdrawal(Base):
    """A record taken back: who, when and why. The record itself stays as it was (a withdrawn tag counts
    for nothing but is still shown with `--all`). `record` names the kind of record ("tag"), `record_id`
    its id; a record is withdrawn once."""

    __tablename__ = "withdrawal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[int] = mapped_column(Integer)
    withdrawn_at: Mapped[datetime] = mapped_column(UTCDateTime)
    withdrawn_by: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("record", "record_id", name="uq_withdrawal_record_record_id"),)


class Case(Base):
    """An investigation ("Palmyra, March 2016"): a name (unique, case-folded) and a note. Its items are
    `case_item` rows; taking an item out is a withdrawal of its row."""

    __tablename__ = "case_file"  # CASE is an SQL keyword

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    name_key: Mapped[str] = mapped_column(Text, unique=True)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(Text)


class CaseItem(Base):
    """An item put in a case, by whom and when (withdrawn when taken out; it may be put in again)."""

    __tablename__ = "case_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="RESTRICT"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="RESTRICT"), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    added_by: Mapped[str] = mapped_column(Text)
