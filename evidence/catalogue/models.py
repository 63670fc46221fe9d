"""The catalogue's tables as typed SQLAlchemy 2.x models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evidence.catalogue.base import BIG_ID, Base, JSONText, UTCDateTime


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
    # what the last analysis found: duration, size, rotation, border box, counts, quick or full
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSONText)

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
    # the machine it was made on (socket.gethostname()); NULL for events made before schema 0011
    host: Mapped[str | None] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONText)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    __table_args__ = (Index("ix_event_subject", "subject"),)


class Frame(Base):
    """A sampled frame (matching index) and/or a keyframe (for people) of an item.

    An image is one frame with index 0 at time 0."""

    __tablename__ = "frame"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="RESTRICT"))
    idx: Mapped[int] = mapped_column(Integer)
    pts: Mapped[str] = mapped_column(String(64))  # exact seconds as a fraction "num/den"
    t: Mapped[float] = mapped_column(Float)  # the same, as a float for ordering and ranges
    sampled: Mapped[bool] = mapped_column(Boolean, default=False)
    keyframe: Mapped[str | None] = mapped_column(String(16))  # first | scene-cut | static | None
    cut_score: Mapped[float | None] = mapped_column(Float)
    thumbnail: Mapped[str | None] = mapped_column(String(64))  # sha256 of a JPEG in the derived store
    quality: Mapped[int | None] = mapped_column(Integer)
    flat: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        UniqueConstraint("item_id", "idx", name="uq_frame_item_id_idx"),
        Index("ix_frame_item_id_t", "item_id", "t"),
    )


class FrameHash(Base):
    """A perceptual hash of a frame, self-describing (algorithm and version) so that hashes of
    incompatible versions are never compared. `variant` is canonical (border removed), raw
    (uncropped), or a dihedral transform of the canonical picture (images)."""

    __tablename__ = "fingerprint"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    frame_id: Mapped[int] = mapped_column(BIG_ID, ForeignKey("frame.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="RESTRICT"), index=True)
    algorithm: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    variant: Mapped[str] = mapped_column(String(24))
    value: Mapped[str] = mapped_column(String(128))  # hex
    quality: Mapped[int | None] = mapped_column(Integer)
    informative: Mapped[bool] = mapped_column(Boolean, default=True)  # not flat, quality >= 50


class FrameDescriptor(Base):
    """A frame's copy-detection descriptor (`media.sscd`): 512 float16 of the picture matching compares
    (variant "canonical": upright, border removed; "region": only where the footage moves). Derived
    data, like the fingerprints; the descriptor search reads them (`catalogue.descriptors`)."""

    __tablename__ = "frame_descriptor"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    frame_id: Mapped[int] = mapped_column(BIG_ID, ForeignKey("frame.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="RESTRICT"), index=True)
    algorithm: Mapped[str] = mapped_column(String(24))
    version: Mapped[int] = mapped_column(Integer)
    variant: Mapped[str] = mapped_column(String(24))
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    flat: Mapped[bool] = mapped_column(Boolean, default=False)


class HashBand(Base):
    """The similarity index: each indexed 256-bit hash split into 16 bands of 16 bits. Candidates are
    found by band equality (plain indexed SQL on SQLite and PostgreSQL), then verified by the full
    Hamming distance. Derived data kept by `catalogue.hashindex`: rows are removed by their full key
    before their fingerprints are, so there is no foreign key (on SQLite it would make every delete
    look up the fingerprint and rule out the fast DELETE of a rebuild) and no second index."""

    __tablename__ = "hash_band"

    band: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    fingerprint_id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=False)

    __table_args__ = ({"sqlite_with_rowid": False},)


class Relation(Base):
    """A typed link between two items, read from `a` to `b` (a_id < b_id): duplicate, a excerpt-of b,
    a contains b, or partial (a shared run, as in a compilation). The row holds the matcher's suggestion
    (kind, score, evidence; refreshed when the matcher runs again) or, for a link an analyst made
    without one, the kind they gave. Analysts' decisions are `RelationDecision` rows: the newest one
    says whether the link stands (see `catalogue.relations`); a rejected pair is never suggested again."""

    __tablename__ = "relation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    a_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="RESTRICT"), index=True)
    b_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    score: Mapped[float | None] = mapped_column(Float)
    matcher: Mapped[str | None] = mapped_column(String(32))
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSONText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("a_id", "b_id", name="uq_relation_a_id_b_id"),
        CheckConstraint("a_id < b_id", name="ordered_pair"),
    )


class RelationDecision(Base):
    """An analyst's decision on a relation: confirmed or rejected, as which kind (read from the
    relation's `a` to its `b`), by whom, when and why. Never changed: a new decision is a new row."""

    __tablename__ = "relation_decision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    relation_id: Mapped[int] = mapped_column(ForeignKey("relation.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(String(16))  # confirmed | rejected
    kind: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[str] = mapped_column(Text)

    __table_args__ = (CheckConstraint("status IN ('confirmed', 'rejected')", name="status"),)


class AnalysisJob(Base):
    """An item's analysis and lookup handed to the job queue (`EVIDENCE_QUEUE_URL`) for `evidence
    worker`: operational state, not a record of the evidence (the outcome is the item's analysis and
    its `analyse` and `suggest-relation` events). `done` means analysed and looked up."""

    __tablename__ = "analysis_job"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="RESTRICT"), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)  # queued | running | done | failed
    options: Mapped[dict[str, Any]] = mapped_column(JSONText)  # quick, match
    actor: Mapped[str] = mapped_column(Text)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(300))  # host:pid of the last worker to take it
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name="state"),)


# the analysts' records (and the accounts, the captures) live in modules of their own; importing them
# here registers their tables with Base
from evidence.catalogue.account_models import Account  # noqa: E402
from evidence.catalogue.annotation_models import (  # noqa: E402
    Annotation,
    Case,
    CaseItem,
    Claim,
    Claimant,
    ClaimItem,
    Description,
    Place,
    Term,
    TermAlias,
    Withdrawal,
)
from evidence.catalogue.capture_models import Capture, CaptureMedia, FrameText, HashList  # noqa: E402
from evidence.catalogue.credential_models import ContentCredential  # noqa: E402

__all__ = [
    "Account",
    "Acquisition",
    "AnalysisJob",
    "Annotation",
    "Capture",
    "CaptureMedia",
    "Case",
    "CaseItem",
    "Claim",
    "ClaimItem",
    "Claimant",
    "ContentCredential",
    "Description",
    "Event",
    "Frame",
    "FrameHash",
    "FrameText",
    "HashBand",
    "HashList",
    "Item",
    "Place",
    "Relation",
    "RelationDecision",
    "Term",
    "TermAlias",
    "Withdrawal",
]
