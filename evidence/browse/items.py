"""Use cases: `evidence list` and `evidence show`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evidence.catalogue import credentials, custody, queries, withdrawals
from evidence.catalogue import vocab as catalogue_vocab
from evidence.catalogue.annotation_models import Annotation, ClaimItem, Withdrawal
from evidence.catalogue.captures import CaptureView, captures_of
from evidence.catalogue.claims import ClaimView, claims_of
from evidence.catalogue.credential_models import ContentCredential
from evidence.catalogue.descriptions import Described, described
from evidence.catalogue.frames import frames_of
from evidence.catalogue.frametext import readings
from evidence.catalogue.models import Acquisition, Event, Frame, FrameHash, FrameText, Item
from evidence.catalogue.provenance import Provenance
from evidence.catalogue.provenance import provenance as gather_provenance
from evidence.catalogue.relations import RelationState, relations_of
from evidence.catalogue.tags import TagView, tags_of
from evidence.core.vocab import Vocabulary
from evidence.workspace import Workspace


@dataclass(frozen=True, slots=True)
class ItemRow:
    item: Item
    original_name: str | None


@dataclass(frozen=True, slots=True)
class ItemDetail:
    item: Item
    acquisitions: list[Acquisition]
    events: list[Event]
    stored_at: str
    relations: list[tuple[RelationState, Item]]
    tags: int = 0  # active tags
    withdrawn_tags: int = 0
    claims: int = 0
    described: list[Described] = field(default_factory=list)
    # acquisitions withdrawn by a correction, with their withdrawals
    corrected: list[tuple[Acquisition, Withdrawal]] = field(default_factory=list)
    # the manifest row an acquisition was added from (`add --manifest`), by acquisition id
    manifests: dict[int, dict[str, Any]] = field(default_factory=dict)
    # the captures of links the item came from or is part of (`evidence capture`)
    captures: list[CaptureView] = field(default_factory=list)
    # the newest reading of its C2PA content credentials, when it has any
    credentials: ContentCredential | None = None


def list_catalogue(
    ws: Workspace, *, limit: int | None = None, only: list[int] | None = None
) -> list[ItemRow]:
    with ws.db.read() as session:
        return [ItemRow(item, name) for item, name in queries.list_items(session, limit=limit, only=only)]


def show_item(ws: Workspace, ref: str) -> ItemDetail:
    with ws.db.read() as session:
        return _detail(session, ws, ref, catalogue_vocab.load(session))


@dataclass(frozen=True, slots=True)
class ItemView:
    """Everything an item's page shows, read in one transaction with one load of the vocabulary."""

    detail: ItemDetail
    keyframes: list[Frame]
    tags: list[TagView]
    claims: list[ClaimView]
    story: Provenance
    texts: list[FrameText] = field(default_factory=list)  # the text read in its frames (`evidence ocr`)


def item_view(ws: Workspace, ref: str) -> ItemView:
    """An item's page (`evidence serve`): `show`, its keyframes, `tags`, `claims` and `provenance`
    without re-hashing (`evidence verify` does that)."""
    with ws.db.read() as session:
        vocab = catalogue_vocab.shared(session)
        detail = _detail(session, ws, ref, vocab)
        item_id = detail.item.id
        keyframes = [f for f, _ in frames_of(session, item_id) if f.keyframe and f.thumbnail]
        return ItemView(
            detail,
            keyframes,
            tags_of(session, vocab, item_id),
            claims_of(session, vocab, item_id),
            gather_provenance(session, ref, None, ws.store, vocab),
            [t for t in readings(session, item_id) if t.words],
        )


def _detail(session: Session, ws: Workspace, ref: str, vocab: Vocabulary) -> ItemDetail:
    item = queries.resolve_ref(session, ref)
    acquisitions = queries.acquisitions_of(session, item.id)
    events = custody.events_for(session, [f"item:{item.sha256}"])
    related = relations_of(session, item.id)
    total = session.scalar(select(func.count()).where(Annotation.item_id == item.id)) or 0
    withdrawn = (
        session.scalar(
            select(func.count()).where(
                Annotation.item_id == item.id, withdrawals.withdrawn("tag", Annotation.id)
            )
        )
        or 0
    )
    claims = session.scalar(
        select(func.count())
        .select_from(ClaimItem)
        .where(ClaimItem.item_id == item.id, withdrawals.standing("claim", ClaimItem.claim_id))
    )
    contents = described(session, vocab, item)
    corrected = queries.corrected_acquisitions_of(session, item.id)
    captures = captures_of(session, item.id, ws.store)
    return ItemDetail(
        item,
        acquisitions,
        events,
        ws.store.location(item.sha256),
        related,
        tags=total - withdrawn,
        withdrawn_tags=withdrawn,
        claims=claims or 0,
        described=contents,
        corrected=corrected,
        manifests={
            e.details["acquisition"]: e.details["manifest"]
            for e in events
            if e.action == "acquire" and isinstance(e.details.get("manifest"), dict)
        },
        captures=captures,
        credentials=credentials.latest(session, [item.id]).get(item.id),
    )


@dataclass(frozen=True, slots=True)
class FrameView:
    frame: Frame
    hashes: list[FrameHash]


@dataclass(frozen=True, slots=True)
class ItemFrames:
    item: Item
    frames: list[FrameView]


def list_frames(ws: Workspace, ref: str) -> ItemFrames:
    with ws.db.read() as session:
        item = queries.resolve_ref(session, ref)
        rows = frames_of(session, item.id)
    return ItemFrames(item, [FrameView(f, h) for f, h in rows])
