"""Catalogue records as plain JSON-ready dicts (the shapes `--json` prints)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evidence.catalogue.models import Acquisition, Event, Frame, FrameHash, Item
from evidence.catalogue.relations import RelationState, kind_from
from evidence.core.custody import format_time
from evidence.core.timeutil import iso


def item_dict(item: Item, *, original_name: str | None = None) -> dict[str, Any]:
    probe = item.probe or {}
    out: dict[str, Any] = {
        "id": item.id,
        "sha256": item.sha256,
        "size": item.size,
        "kind": item.kind,
        "mime": item.mime,
        "declared_ext": item.declared_ext,
        "analysis": item.analysis,
        "first_catalogued_at": iso(item.first_catalogued_at),
        "analysed_at": iso(item.analysed_at),
        "duration": media_duration(probe),
    }
    if original_name is not None:
        out["original_name"] = original_name
    return out


def positive_duration(record: Mapping[str, Any] | None) -> float | None:
    """A record's (an analysis summary's, a probe's) duration in seconds, when it has a positive one."""
    value = (record or {}).get("duration")
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    return None


def media_duration(probe: dict[str, Any]) -> float | None:
    value = probe.get("duration")
    if isinstance(value, int | float):
        return float(value)
    return None


def acquisition_dict(acq: Acquisition) -> dict[str, Any]:
    return {
        "id": acq.id,
        "original_name": acq.original_name,
        "original_path": acq.original_path,
        "source_url": acq.source_url,
        "posted_at": iso(acq.posted_at),
        "posted_at_precision": acq.posted_at_precision,
        "captured_at": iso(acq.captured_at),
        "claimed_by": acq.claimed_by,
        "collected_by": acq.collected_by,
        "note": acq.note,
        "tool_version": acq.tool_version,
        "source_mtime": iso(acq.source_mtime),
    }


def event_dict(event: Event, *, as_hashed: bool = False) -> dict[str, Any]:
    """A custody event; with `as_hashed` its time is written exactly as its hash covers it, so that a
    reader can re-compute the hash. `host` is None for events made before schema 0011."""
    return {
        "seq": event.seq,
        "at": format_time(event.at) if as_hashed else iso(event.at),
        "actor": event.actor,
        "host": event.host,
        "action": event.action,
        "subject": event.subject,
        "details": event.details,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def frame_dict(frame: Frame, hashes: list[FrameHash] | None = None) -> dict[str, Any]:
    """A frame; with its fingerprints when `hashes` is given."""
    out: dict[str, Any] = {
        "index": frame.idx,
        "pts": frame.pts,
        "time": frame.t,
        "sampled": frame.sampled,
        "keyframe": frame.keyframe,
        "cut_score": frame.cut_score,
        "quality": frame.quality,
        "flat": frame.flat,
        "thumbnail": frame.thumbnail,
    }
    if hashes is not None:
        out["fingerprints"] = [
            {"variant": h.variant, "hash": f"{h.algorithm}.v{h.version}:{h.value}", "quality": h.quality}
            for h in hashes
        ]
    return out


def relation_dict(rel: RelationState, other: Item, item_id: int) -> dict[str, Any]:
    """A relation seen from `item_id`: what this item is to the other one."""
    kind = kind_from(rel, item_id)
    return {
        "other": {"id": other.id, "sha256": other.sha256},
        "kind": kind,
        "status": rel.status,
        "score": rel.score,
        "matcher": rel.matcher,
        "evidence": rel.evidence,
        "decided_by": rel.decided_by,
        "decided_at": iso(rel.decided_at),
        "note": rel.note,
    }


def media_size(item: Item) -> tuple[int | None, int | None]:
    """The displayed (upright) width and height found by analysis, when known."""
    summary = item.summary or {}
    width, height = summary.get("width"), summary.get("height")
    if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
        return width, height
    return None, None
