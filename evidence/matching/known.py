"""Known content: which frames of an item (or of a file being matched) match a hash on a partner's list
(`evidence hashes import`), with the list's name, the entry's name, the matched time on both sides and
the distance.

The hashes are read from each list's preserved file (what was received, re-hashed by `verify`) and kept
per process by the file's SHA-256 (a list never changes: a new version is a new list). A frame matches
an entry within `MATCH` bits (the threshold of Meta's PDQ tools) when both hashes have at least
`MIN_QUALITY` (PDQ's own advice: below it a hash says little about the picture). Each list is compared
with every frame at once (`core.hamming`): a list of 100,000 hashes against a clip's 50 frames is a
few milliseconds.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy import select

from evidence.catalogue.models import Frame as FrameRow
from evidence.catalogue.models import FrameHash, HashList, Item
from evidence.core.fingerprint import PDQ_ALGORITHM, PDQ_VERSION
from evidence.core.hamming import distances, pack
from evidence.core.hashlists import ListEntry, parse
from evidence.core.names import HashVariant
from evidence.workspace import Workspace

MATCH = 31
MIN_QUALITY = 50


@dataclass(frozen=True, slots=True)
class KnownHit:
    """An entry of a list that frames match: the best pair (smallest distance, earliest frame)."""

    list_name: str
    label: str
    distance: int
    query_t: float  # the frame's time here
    list_t: float | None  # the entry's time in the partner's video (vPDQ, CSV); None for an image
    frames: int  # frames here that match this entry's name on this list


@dataclass(frozen=True, slots=True)
class _Loaded:
    entries: list[ListEntry]
    packed: npt.NDArray[np.uint64]
    usable: npt.NDArray[np.bool_]


_KEPT: dict[str, _Loaded] = {}
_LOCK = threading.Lock()


def _loaded(ws: Workspace, sha256: str, fmt: str, label: str | None) -> _Loaded:
    with _LOCK:
        found = _KEPT.get(sha256)
    if found is not None:
        return found
    text = ws.store.read_bytes(sha256).decode("utf-8-sig")
    entries = parse(text, fmt, label=label or "")
    loaded = _Loaded(
        entries, pack([e.pdq for e in entries]), np.array([e.quality >= MIN_QUALITY for e in entries])
    )
    with _LOCK:
        _KEPT[sha256] = loaded
    return loaded


def known_hits(ws: Workspace, frames: Sequence[tuple[float, str, int]]) -> list[KnownHit]:
    """The list entries these frames match: `frames` are (time, PDQ hex, quality) of a picture or of a
    video's frames (several hashes of one time are fine: its variants)."""
    usable = [(t, pdq) for t, pdq, quality in frames if quality >= MIN_QUALITY]
    if not usable:
        return []
    with ws.db.read() as session:
        lists = session.execute(
            select(HashList.name, HashList.format, HashList.label, Item.sha256)
            .join(Item, Item.id == HashList.item_id)
            .order_by(HashList.id)
        ).all()
    if not lists:
        return []
    query = pack([pdq for _, pdq in usable])
    hits: list[KnownHit] = []
    for name, fmt, label, sha in lists:
        listed = _loaded(ws, sha, fmt, label)
        best: dict[str, tuple[int, float, float | None, set[float]]] = {}
        for row, (t, _) in enumerate(usable):
            near = (distances(query[row], listed.packed) <= MATCH) & listed.usable
            for index in np.flatnonzero(near):
                entry = listed.entries[int(index)]
                d = int(distances(query[row], listed.packed[int(index)]))
                kept = best.get(entry.label)
                times = kept[3] if kept is not None else set()
                times.add(t)
                if kept is None or (d, t) < (kept[0], kept[1]):
                    best[entry.label] = (d, t, entry.t, times)
                else:
                    best[entry.label] = (*kept[:3], times)
        hits += [KnownHit(name, lab, d, t, lt, len(ts)) for lab, (d, t, lt, ts) in best.items()]
    return sorted(hits, key=lambda h: (h.list_name, h.query_t, h.label))


def item_frames(ws: Workspace, item_id: int) -> list[tuple[float, str, int]]:
    """A catalogued item's frames as `known_hits` takes them: each frame's canonical and raw hashes."""
    with ws.db.read() as session:
        rows = session.execute(
            select(FrameRow.t, FrameHash.value, FrameHash.quality)
            .join(FrameHash, FrameHash.frame_id == FrameRow.id)
            .where(
                FrameRow.item_id == item_id,
                FrameHash.algorithm == PDQ_ALGORITHM,
                FrameHash.version == PDQ_VERSION,
                FrameHash.variant.in_((HashVariant.CANONICAL, HashVariant.RAW)),
            )
            .order_by(FrameRow.t)
        ).all()
    return [(float(t), value, int(quality or 0)) for t, value, quality in rows]
