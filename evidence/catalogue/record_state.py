"""The digests of the catalogue's records and derived data, read from the database (the rule is in
`evidence.core.record_digest`). Custody events carry them; `verify` recomputes them.

A record's state is every column of its row, read back through the column types (so a digest made when
the record was written equals one made later from the same row), plus, for a claim, the ids of the items
it is about. An item's derived data is its frames with their fingerprints; the similarity index
(`hash_band`) is re-derived from the fingerprints by `evidence db reindex` and not covered.
Functions take a Session and never commit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Column, Float, RowMapping, Table, select
from sqlalchemy.orm import Session

from evidence.catalogue.account_models import Account
from evidence.catalogue.annotation_models import (
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
from evidence.catalogue.models import (
    Acquisition,
    Capture,
    CaptureMedia,
    ContentCredential,
    Frame,
    FrameDescriptor,
    FrameHash,
    FrameText,
    HashList,
    Item,
    Relation,
    RelationDecision,
)
from evidence.core.frames import FrameRecord, descriptor_row, frame_row
from evidence.core.record_digest import derived_digest, record_digest, record_key

# the kinds of record, as custody events name them, and their tables
TABLES: dict[str, Table] = {
    "item": Item.__table__,  # type: ignore[dict-item]
    "acquisition": Acquisition.__table__,  # type: ignore[dict-item]
    "term": Term.__table__,  # type: ignore[dict-item]
    "alias": TermAlias.__table__,  # type: ignore[dict-item]
    "tag": Annotation.__table__,  # type: ignore[dict-item]
    "claimant": Claimant.__table__,  # type: ignore[dict-item]
    "place": Place.__table__,  # type: ignore[dict-item]
    "claim": Claim.__table__,  # type: ignore[dict-item]
    "description": Description.__table__,  # type: ignore[dict-item]
    "relation": Relation.__table__,  # type: ignore[dict-item]
    "decision": RelationDecision.__table__,  # type: ignore[dict-item]
    "withdrawal": Withdrawal.__table__,  # type: ignore[dict-item]
    "case": Case.__table__,  # type: ignore[dict-item]
    "case_item": CaseItem.__table__,  # type: ignore[dict-item]
    "capture": Capture.__table__,  # type: ignore[dict-item]
    "capture_media": CaptureMedia.__table__,  # type: ignore[dict-item]
    "account": Account.__table__,  # type: ignore[dict-item]
    "hash_list": HashList.__table__,  # type: ignore[dict-item]
    "frame_text": FrameText.__table__,  # type: ignore[dict-item]
    "content_credential": ContentCredential.__table__,  # type: ignore[dict-item]
}
# what a person calls each kind, for messages
NAMES = {
    "alias": "term alias",
    "decision": "relation decision",
    "case_item": "case membership",
    "capture_media": "captured media",
    "hash_list": "hash list",
    "frame_text": "text read in a frame",
    "content_credential": "content credentials",
}
BATCH = 1000

Key = str  # "tag:3"


def row_state(columns: Iterable[Column[Any]], row: Mapping[str, Any] | RowMapping) -> dict[str, Any]:
    """A record's state: each of these columns of its row, read back through the column's type."""
    state = {}
    for column in columns:
        value = row[column.name]
        if value is not None and isinstance(column.type, Float):
            value = float(value)
        state[column.name] = value
    return state


def claim_items(session: Session, claim_ids: Sequence[int]) -> dict[int, list[int]]:
    items: dict[int, list[int]] = {i: [] for i in claim_ids}
    query = select(ClaimItem.claim_id, ClaimItem.item_id).where(ClaimItem.claim_id.in_(claim_ids))
    for claim_id, item_id in session.execute(query.order_by(ClaimItem.claim_id, ClaimItem.item_id)):
        items[claim_id].append(item_id)
    return items


def _digests(session: Session, kind: str, rows: Sequence[Any]) -> Iterator[tuple[Key, str]]:
    table = TABLES[kind]
    extra = claim_items(session, [r["id"] for r in rows]) if kind == "claim" else {}
    for row in rows:
        state = row_state(table.columns, row)
        if kind == "claim":
            state["items"] = extra[row["id"]]
        yield record_key(kind, row["id"]), record_digest(kind, state)


def digests_of(session: Session, refs: Iterable[tuple[str, int]]) -> dict[Key, str]:
    """The digests of these records (kind, id) as they are now, pending changes flushed first."""
    session.flush()
    wanted: dict[str, list[int]] = {}
    for kind, record_id in refs:
        if kind not in TABLES:
            raise ValueError(f"no record kind {kind!r}")
        wanted.setdefault(kind, []).append(record_id)
    out: dict[Key, str] = {}
    for kind, ids in wanted.items():
        table = TABLES[kind]
        rows = session.execute(select(table).where(table.c.id.in_(ids))).mappings().all()
        out.update(_digests(session, kind, rows))
        missing = {record_key(kind, i) for i in ids} - out.keys()
        if missing:
            raise LookupError(f"no such record: {', '.join(sorted(missing))}")
    return out


def all_digests(session: Session, kinds: Iterable[str] | None = None) -> Iterator[tuple[Key, str]]:
    """Every record's digest, kind by kind, in id order, read in batches."""
    for kind in kinds or TABLES:
        table = TABLES[kind]
        last = 0
        while True:
            query = select(table).where(table.c.id > last).order_by(table.c.id).limit(BATCH)
            rows = session.execute(query).mappings().all()
            if not rows:
                break
            yield from _digests(session, kind, rows)
            last = rows[-1]["id"]


def _frame_state(
    frame: Mapping[str, Any], hashes: list[dict[str, Any]], descriptors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    state = {
        "idx": frame["idx"],
        "pts": frame["pts"],
        "t": float(frame["t"]),
        "sampled": bool(frame["sampled"]),
        "keyframe": frame["keyframe"],
        "cut_score": None if frame["cut_score"] is None else float(frame["cut_score"]),
        "thumbnail": frame["thumbnail"],
        "quality": frame["quality"],
        "flat": bool(frame["flat"]),
        "hashes": sorted(hashes, key=_hash_order),
    }
    if descriptors:  # only then: digests of frames analysed before descriptors existed stay as they were
        state["descriptors"] = sorted(descriptors, key=lambda d: (d["variant"], d["algorithm"], d["version"]))
    return state


def descriptor_state(row: Mapping[str, Any] | RowMapping) -> dict[str, Any]:
    """A descriptor in a frame's digested state: its vector by SHA-256 (a thumbnail's way)."""
    return {
        "algorithm": row["algorithm"],
        "version": int(row["version"]),
        "variant": row["variant"],
        "vector": hashlib.sha256(bytes(row["vector"])).hexdigest(),
        "flat": bool(row["flat"]),
    }


def _hash_order(h: Mapping[str, Any]) -> tuple[str, str, int, str]:
    return (str(h["variant"]), str(h["algorithm"]), int(h["version"]), str(h["value"]))


def hash_state(
    algorithm: str, version: int, variant: str, value: str, quality: int | None, informative: bool
) -> dict[str, Any]:
    return {
        "algorithm": algorithm,
        "version": version,
        "variant": variant,
        "value": value,
        "quality": quality,
        "informative": bool(informative),
    }


def derived_of(session: Session, item_ids: Sequence[int]) -> dict[int, str]:
    """The digest of each item's frames and fingerprints as they are now (an item without frames has
    the digest of no frames)."""
    session.flush()
    frames: dict[int, list[Any]] = {i: [] for i in item_ids}
    hashes: dict[tuple[int, int], list[dict[str, Any]]] = {}  # by (item, frame)
    descriptors: dict[tuple[int, int], list[dict[str, Any]]] = {}
    frame_table: Table = Frame.__table__  # type: ignore[assignment]
    descriptor_table: Table = FrameDescriptor.__table__  # type: ignore[assignment]
    for start in range(0, len(item_ids), 200):
        chunk = list(item_ids[start : start + 200])
        query = select(frame_table).where(frame_table.c.item_id.in_(chunk))
        for frame in session.execute(query.order_by(frame_table.c.item_id, frame_table.c.idx)).mappings():
            frames[frame["item_id"]].append(frame)
        rows = session.execute(
            select(
                FrameHash.item_id,
                FrameHash.frame_id,
                FrameHash.algorithm,
                FrameHash.version,
                FrameHash.variant,
                FrameHash.value,
                FrameHash.quality,
                FrameHash.informative,
            ).where(FrameHash.item_id.in_(chunk))
        )
        for item_id, frame_id, algorithm, version, variant, value, quality, informative in rows:
            hashes.setdefault((item_id, frame_id), []).append(
                hash_state(algorithm, version, variant, value, quality, informative)
            )
        described = session.execute(select(descriptor_table).where(descriptor_table.c.item_id.in_(chunk)))
        for row in described.mappings():
            descriptors.setdefault((row["item_id"], row["frame_id"]), []).append(descriptor_state(row))
    return {
        item_id: derived_digest(
            _frame_state(f, hashes.get((item_id, f["id"]), []), descriptors.get((item_id, f["id"])))
            for f in rows
        )
        for item_id, rows in frames.items()
    }


def derived_from(frames: Sequence[FrameRecord]) -> str:
    """The derived digest that recording these frames gives (as `derived_of` reads them back): how
    `verify --deep` compares a fresh analysis with the catalogue without writing anything."""
    states = []
    for f in sorted(frames, key=lambda f: f.idx):
        row = frame_row(f, hashlib.sha256(f.jpeg).hexdigest() if f.jpeg else None)
        hashes = [
            hash_state(h.algorithm, h.version, h.variant, h.hex, h.quality, f.counts(h)) for h in f.hashes
        ]
        described = [descriptor_state(descriptor_row(d)) for d in f.descriptors]
        states.append(_frame_state(row, hashes, described))
    return derived_digest(states)


def all_derived(session: Session) -> Iterator[tuple[int, str]]:
    """Every item's derived digest, in batches of items."""
    last = 0
    while True:
        ids = list(session.scalars(select(Item.id).where(Item.id > last).order_by(Item.id).limit(200)))
        if not ids:
            return
        yield from derived_of(session, ids).items()
        last = ids[-1]


def item_key(item_id: int) -> Key:
    return record_key("item", item_id)
