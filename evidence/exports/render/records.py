"""Catalogue records for export as one JSON document (`evidence-export`, version 1); the CSV tables
are in `reports.tables`.

Every record keeps its ids; times are ISO 8601 UTC. Custody events carry their time in the exact form
the chain hash covers (`evidence.core.custody.format_time`), so that anyone can re-compute each hash.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from evidence.catalogue.capture_models import Capture
from evidence.catalogue.models import (
    Acquisition,
    Annotation,
    Claim,
    Claimant,
    Description,
    Event,
    Frame,
    Item,
    Place,
    Term,
    TermAlias,
    Withdrawal,
)
from evidence.catalogue.relations import RelationState
from evidence.catalogue.snapshot import Records
from evidence.catalogue.views import acquisition_dict, event_dict, frame_dict, item_dict, relation_dict
from evidence.core.box import Box
from evidence.core.fragment import tag_fragment
from evidence.core.timeutil import iso
from evidence.core.vocab import TermNode, Vocabulary

FORMAT = "evidence-export"
VERSION = 1


class Index:
    """Look-ups over one export's records."""

    def __init__(self, records: Records) -> None:
        self.items = {i.id: i for i in records.items}
        self.vocab = Vocabulary(TermNode(t.id, t.parent_id, t.label, t.free, t.note) for t in records.terms)
        self.claims = {c.id: c for c in records.claims}
        self.claimants = {c.id: c for c in records.claimants}
        self.places = {p.id: p for p in records.places}
        self.frame_index = {f.id: f.idx for f in records.frames}
        self.withdrawals = records.withdrawals
        self.claim_withdrawals = records.claim_withdrawals
        self.acquisition_withdrawals = records.acquisition_withdrawals
        self.claim_items: dict[int, list[int]] = {}
        for link in sorted(records.claim_items, key=lambda ci: (ci.claim_id, ci.item_id)):
            self.claim_items.setdefault(link.claim_id, []).append(link.item_id)

    def sha(self, item_id: int) -> str | None:
        item = self.items.get(item_id)
        return item.sha256 if item else None

    def term(self, term_id: int) -> dict[str, Any]:
        node = self.vocab.terms.get(term_id)
        if node is None:
            return {"id": term_id, "label": None, "path": None}
        return {"id": term_id, "label": node.label, "path": self.vocab.path_text(term_id)}

    def path(self, term_id: int) -> str | None:
        return self.vocab.path_text(term_id) if term_id in self.vocab.terms else None


# -- JSON ------------------------------------------------------------------------------------------------


def media_fragment(tag: Annotation) -> str | None:
    """The W3C media fragment of a tag (`t=10,12&xywh=100,200,150,60`), as `evidence tags` shows it;
    None for a whole-item tag."""
    box = None
    if tag.box_x is not None and tag.box_y is not None and tag.box_w is not None and tag.box_h is not None:
        box = Box(tag.box_x, tag.box_y, tag.box_w, tag.box_h)
    return tag_fragment(tag.t_start, tag.t_end, box).to_text() or None


def frame_record(frame: Frame) -> dict[str, Any]:
    """A frame as `evidence frames` shows it, with its id and without its fingerprints."""
    return {"id": frame.id, **frame_dict(frame)}


def tag_record(tag: Annotation, index: Index) -> dict[str, Any]:
    box = (tag.box_x, tag.box_y, tag.box_w, tag.box_h)
    gone = index.withdrawals.get(tag.id)
    return {
        "id": tag.id,
        "term": index.term(tag.term_id),
        "frame_id": tag.frame_id,
        "frame_index": index.frame_index.get(tag.frame_id) if tag.frame_id is not None else None,
        "t_start": tag.t_start,
        "t_end": tag.t_end,
        "box": None if any(v is None for v in box) else dict(zip(("x", "y", "w", "h"), box, strict=True)),
        "frame_width": tag.frame_width,
        "frame_height": tag.frame_height,
        "media_fragment": media_fragment(tag),
        "confidence": tag.confidence,
        "source": tag.source,
        "annotator": tag.annotator,
        "note": tag.note,
        "created_at": iso(tag.created_at),
        **_withdrawn(gone),
    }


def acquisition_record(acq: Acquisition, index: Index) -> dict[str, Any]:
    """An acquisition, and whether it was withdrawn (corrected by a later one)."""
    return {**acquisition_dict(acq), **_withdrawn(index.acquisition_withdrawals.get(acq.id))}


def _withdrawn(gone: Withdrawal | None) -> dict[str, Any]:
    """Whether a record was withdrawn, and by whom, when and why."""
    return {
        "withdrawn": gone is not None,
        "withdrawn_at": None if gone is None else iso(gone.withdrawn_at),
        "withdrawn_by": None if gone is None else gone.withdrawn_by,
        "withdrawn_note": None if gone is None else gone.note,
    }


def claimant_record(claimant: Claimant) -> dict[str, Any]:
    return {
        "id": claimant.id,
        "name": claimant.name,
        "created_at": iso(claimant.created_at),
        "created_by": claimant.created_by,
    }


def place_record(place: Place) -> dict[str, Any]:
    return {
        "id": place.id,
        "name": place.name,
        "latitude": place.latitude,
        "longitude": place.longitude,
        "precision": place.precision,
        "created_at": iso(place.created_at),
        "created_by": place.created_by,
    }


def claim_record(claim: Claim, index: Index) -> dict[str, Any]:
    claimant = index.claimants.get(claim.claimant_id)
    place = index.places.get(claim.place_id) if claim.place_id is not None else None
    return {
        "id": claim.id,
        "claimant": {"id": claim.claimant_id, "name": claimant.name if claimant else None},
        "statement": claim.statement,
        "claimed_date": iso(claim.claimed_date),
        "claimed_date_precision": claim.claimed_date_precision,
        "said_on": iso(claim.said_on),
        "said_on_precision": claim.said_on_precision,
        "place": place_record(place) if place else None,
        "url": claim.url,
        "language": claim.language,
        "counters_id": claim.counters_id,
        "item_ids": index.claim_items.get(claim.id, []),
        "created_at": iso(claim.created_at),
        "created_by": claim.created_by,
        **_withdrawn(index.claim_withdrawals.get(claim.id)),
    }


def description_record(desc: Description, index: Index) -> dict[str, Any]:
    return {
        "id": desc.id,
        "term": index.term(desc.term_id),
        "claim_id": desc.claim_id,
        "source": desc.source,
        "note": desc.note,
        "created_at": iso(desc.created_at),
        "created_by": desc.created_by,
    }


def term_record(term: Term, aliases: list[TermAlias], index: Index) -> dict[str, Any]:
    return {
        "id": term.id,
        "parent_id": term.parent_id,
        "label": term.label,
        "path": index.path(term.id),
        "free": term.free,
        "note": term.note,
        "created_at": iso(term.created_at),
        "created_by": term.created_by,
        "aliases": [
            {
                "id": a.id,
                "alias": a.alias,
                "language": a.language,
                "created_at": iso(a.created_at),
                "created_by": a.created_by,
            }
            for a in aliases
        ],
    }


def event_record(event: Event) -> dict[str, Any]:
    """A custody event with its time exactly as its hash covers it."""
    return event_dict(event, as_hashed=True)


def grouped(rows: Iterable[Any], key: Callable[[Any], int]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for row in rows:
        out.setdefault(key(row), []).append(row)
    return out


def item_record(item: Item, index: Index, groups: dict[str, dict[int, list[Any]]]) -> dict[str, Any]:
    record = item_dict(item)
    record["probe"] = item.probe
    record["summary"] = item.summary
    acquisitions = groups["acquisitions"].get(item.id, [])
    record["acquisitions"] = [
        acquisition_record(a, index)
        | {
            "original_path_raw": a.original_path_raw.hex() if a.original_path_raw else None,
        }
        for a in acquisitions
    ]
    record["frames"] = [frame_record(f) for f in groups["frames"].get(item.id, [])]
    record["tags"] = [tag_record(t, index) for t in groups["tags"].get(item.id, [])]
    record["claims"] = [
        claim_record(index.claims[cid], index)
        for cid in groups["claims"].get(item.id, [])
        if cid in index.claims
    ]
    record["descriptions"] = [description_record(d, index) for d in groups["descriptions"].get(item.id, [])]
    related = []
    for rel in groups["relations"].get(item.id, []):
        other = index.items[rel.b_id if rel.a_id == item.id else rel.a_id]
        related.append(
            {"id": rel.id, **relation_dict(rel, other, item.id), "created_at": iso(rel.created_at)}
        )
    record["relations"] = related
    return record


def document(records: Records, *, exported_at: datetime, tool_version: str) -> dict[str, Any]:
    """The JSON export: the items with everything recorded about them, the terms they use, the
    claimants and places of their claims, and the custody events (all, or the items' own)."""
    index = Index(records)
    relations: dict[int, list[RelationState]] = {}
    for rel in records.relations:
        if rel.a_id in index.items and rel.b_id in index.items:
            relations.setdefault(rel.a_id, []).append(rel)
            relations.setdefault(rel.b_id, []).append(rel)
    claims_by_item: dict[int, list[int]] = {}
    for claim_id, item_ids in index.claim_items.items():
        for item_id in item_ids:
            claims_by_item.setdefault(item_id, []).append(claim_id)
    groups: dict[str, dict[int, list[Any]]] = {
        "acquisitions": grouped(records.acquisitions, lambda a: a.item_id),
        "frames": grouped(records.frames, lambda f: f.item_id),
        "tags": grouped(records.tags, lambda t: t.item_id),
        "descriptions": grouped(records.descriptions, lambda d: d.item_id),
        "relations": relations,
        "claims": claims_by_item,
    }
    aliases = grouped(records.aliases, lambda a: a.term_id)
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": iso(exported_at),
        "tool_version": tool_version,
        "catalogue": {"chain_head": records.chain_head, "events": records.event_count},
        "scope": {"refs": list(records.refs) or None, "items": len(records.items)},
        "items": [item_record(item, index, groups) for item in records.items],
        "terms": [term_record(t, aliases.get(t.id, []), index) for t in records.terms],
        "claimants": [claimant_record(c) for c in records.claimants],
        "places": [place_record(p) for p in records.places],
        "captures": [capture_record(c, records) for c in records.captures],
        "events": [event_record(e) for e in records.events],
    }


def capture_record(capture: Capture, records: Records) -> dict[str, Any]:
    """A capture of a link with its media (each as the item and acquisition that preserved it)."""
    return {
        "id": capture.id,
        "url": capture.url,
        "final_url": capture.final_url,
        "http_status": capture.http_status,
        "outcome": capture.outcome,
        "problem": capture.problem,
        "platform": capture.platform,
        "headers": capture.headers,
        "captured_at": iso(capture.captured_at),
        "collected_by": capture.collected_by,
        "note": capture.note,
        "tool_version": capture.tool_version,
        "page_item_id": capture.page_item_id,
        "screenshot_item_id": capture.screenshot_item_id,
        "metadata_item_id": capture.metadata_item_id,
        "media": [
            {"id": m.id, "item_id": m.item_id, "acquisition_id": m.acquisition_id, "media_url": m.media_url}
            for m in records.capture_media
            if m.capture_id == capture.id
        ],
    }


def json_bytes(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def custody_jsonl(records: Records) -> bytes:
    """The custody events, one JSON object per line, in sequence order."""
    lines = (json.dumps(event_record(e), ensure_ascii=False, separators=(",", ":")) for e in records.events)
    return "".join(line + "\n" for line in lines).encode("utf-8")
