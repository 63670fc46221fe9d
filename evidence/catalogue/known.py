"""Known content: which frames of an item (or of a file being matched) match a hash on a partner's list
(`evidence hashes import`), with the list's name, the entry's name, the matched time on both sides and
the distance. `add`, `capture` and `match` report them as they go; `provenance`, its report and the
web's item page say which of an item's copies are on a list.

The hashes are read from each list's preserved file (what was received, re-hashed by `verify`) and kept
per process by the file's SHA-256 (a list never changes: a new version is a new list). A frame matches
an entry within `MATCH` bits (the threshold of Meta's PDQ tools) when both hashes have at least
`MIN_QUALITY` (PDQ's own advice: below it a hash says little about the picture). Each list is compared
with every frame at once (`core.hamming`): a list of 100,000 hashes against a clip's 50 frames is a
few milliseconds.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.catalogue.among import among
from evidence.catalogue.models import Frame as FrameRow
from evidence.catalogue.models import FrameHash, HashList, Item
from evidence.core.fingerprint import PDQ_ALGORITHM, PDQ_VERSION
from evidence.core.hamming import distances, pack
from evidence.core.hashlists import ListEntry, parse
from evidence.core.names import HashVariant
from evidence.store.base import ObjectStore

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

    def to_json(self) -> dict[str, Any]:
        return {
            "list": self.list_name,
            "entry": self.label,
            "distance": self.distance,
            "time": self.query_t,
            "list_time": self.list_t,
            "frames": self.frames,
        }


@dataclass(frozen=True, slots=True)
class _Loaded:
    entries: list[ListEntry]
    packed: npt.NDArray[np.uint64]
    usable: npt.NDArray[np.bool_]


_KEPT: dict[str, _Loaded] = {}
_LOCK = threading.Lock()


def _loaded(store: ObjectStore, sha256: str, fmt: str, label: str | None) -> _Loaded:
    with _LOCK:
        found = _KEPT.get(sha256)
    if found is not None:
        return found
    text = store.read_bytes(sha256).decode("utf-8-sig")
    entries = parse(text, fmt, label=label or "")
    loaded = _Loaded(
        entries, pack([e.pdq for e in entries]), np.array([e.quality >= MIN_QUALITY for e in entries])
    )
    with _LOCK:
        _KEPT[sha256] = loaded
    return loaded


def _lists(session: Session) -> list[Any]:
    """Every loaded list: its name, format, vPDQ label and the SHA-256 of the file that holds it."""
    return list(
        session.execute(
            select(HashList.name, HashList.format, HashList.label, Item.sha256)
            .join(Item, Item.id == HashList.item_id)
            .order_by(HashList.id)
        ).all()
    )


def known_hits(
    session: Session,
    store: ObjectStore,
    frames: Sequence[tuple[float, str, int]],
    lists: Sequence[Any] | None = None,
) -> list[KnownHit]:
    """The list entries these frames match: `frames` are (time, PDQ hex, quality) of a picture or of a
    video's frames (several hashes of one time are fine: its variants); `lists` as `_lists` reads them
    (read here when not given)."""
    usable = [(t, pdq) for t, pdq, quality in frames if quality >= MIN_QUALITY]
    if not usable:
        return []
    lists = _lists(session) if lists is None else lists
    if not lists:
        return []
    query = pack([pdq for _, pdq in usable])
    hits: list[KnownHit] = []
    for name, fmt, label, sha in lists:
        listed = _loaded(store, sha, fmt, label)
        best: dict[str, tuple[int, float, float | None, set[float]]] = {}
        for row, (t, _) in enumerate(usable):
            away = distances(query[row], listed.packed)
            for index in np.flatnonzero((away <= MATCH) & listed.usable):
                entry = listed.entries[int(index)]
                d = int(away[index])
                kept = best.get(entry.label)
                times = kept[3] if kept is not None else set()
                times.add(t)
                if kept is None or (d, t) < (kept[0], kept[1]):
                    best[entry.label] = (d, t, entry.t, times)
                else:
                    best[entry.label] = (*kept[:3], times)
        hits += [KnownHit(name, lab, d, t, lt, len(ts)) for lab, (d, t, lt, ts) in best.items()]
    return sorted(hits, key=lambda h: (h.list_name, h.query_t, h.label))


def item_frames(session: Session, item_ids: Sequence[int]) -> dict[int, list[tuple[float, str, int]]]:
    """Catalogued items' frames as `known_hits` takes them: each frame's canonical and raw hashes."""
    rows = session.execute(
        select(FrameRow.item_id, FrameRow.t, FrameHash.value, FrameHash.quality)
        .join(FrameHash, FrameHash.frame_id == FrameRow.id)
        .where(
            among(FrameRow.item_id, list(item_ids)),
            FrameHash.algorithm == PDQ_ALGORITHM,
            FrameHash.version == PDQ_VERSION,
            FrameHash.variant.in_((HashVariant.CANONICAL, HashVariant.RAW)),
        )
        .order_by(FrameRow.item_id, FrameRow.t)
    ).all()
    out: dict[int, list[tuple[float, str, int]]] = defaultdict(list)
    for item_id, t, value, quality in rows:
        out[item_id].append((float(t), value, int(quality or 0)))
    return out


def items_known(session: Session, store: ObjectStore, item_ids: Sequence[int]) -> dict[int, list[KnownHit]]:
    """The list entries each of these catalogued items matches (nothing read when no list is loaded)."""
    lists = _lists(session) if item_ids else []
    if not lists:
        return {}
    frames = item_frames(session, item_ids)
    found = {i: known_hits(session, store, frames[i], lists) for i in item_ids if i in frames}
    return {i: hits for i, hits in found.items() if hits}
