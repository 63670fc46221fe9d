"""Use cases: find catalogued near duplicates of a new item (at ingest) or of any file (`evidence match`)."""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.analysis import jobs
from evidence.analysis.options import AnalysisOptions
from evidence.analysis.pipeline import AnalysisOutcome, base_timeout, derive_file
from evidence.analysis.worker import Worker, WorkerFailure
from evidence.catalogue import custody, hashindex, queries
from evidence.catalogue import descriptors as descriptor_index
from evidence.catalogue.frames import durations_of, frame_times, match_targets
from evidence.catalogue.known import KnownHit, known_hits
from evidence.catalogue.models import Item
from evidence.core import hamming
from evidence.core.custody import CustodyAction
from evidence.core.descriptor_match import DescribedQuery, DescriptorParams, match_descriptors
from evidence.core.descriptor_pairs import pairs_of
from evidence.core.frames import MIN_QUALITY, DescriptorRecord, QueryRecord
from evidence.core.matching import (
    REGIONS,
    FrameHit,
    ItemMatch,
    MatchParams,
    comparable,
    match_items,
    still_match,
)
from evidence.core.merge import corroborated, merge_matches, pdq_evidence, vouched
from evidence.core.names import HashVariant
from evidence.core.offset_range import offset_range
from evidence.core.query import QueryTable
from evidence.core.text import printable
from evidence.core.types import MediaKind
from evidence.errors import InputRefused
from evidence.matching import relations
from evidence.matching.pictures import VISUAL, PictureCheck, QueryPictures
from evidence.matching.relations import suggest
from evidence.media import sscd
from evidence.store.files import open_regular
from evidence.workspace import Workspace


@dataclass(frozen=True, slots=True)
class FoundMatch:
    match: ItemMatch
    sha256: str


def lookup(
    session: Session,
    query: Sequence[QueryRecord],
    *,
    exclude_item: int | None = None,
    params: MatchParams | None = None,
    descriptors: Sequence[DescriptorRecord] = (),
    pictures: QueryPictures | None = None,
) -> list[FoundMatch]:
    """Catalogued items that the query frames (their PDQ hashes, and their copy-detection
    descriptors when given) match, best first. With `pictures` (a video query's own frames), the
    descriptor matches that look-alike footage could explain are checked point by point."""
    excluded = () if exclude_item is None else (exclude_item,)
    by_pdq = _lookup_pdq(session, query, excluded, params or MatchParams())
    check = None if pictures is None else PictureCheck(session, pictures)
    by_descriptor, resemblance = _lookup_descriptors(session, descriptors, excluded, check)
    if descriptors:
        quarters_only = [m.item_id for m in by_pdq if pdq_evidence(m) <= REGIONS]
        described = descriptor_index.described_items(session, quarters_only)
        by_pdq = corroborated(by_pdq, by_descriptor, resemblance, described)
        by_descriptor = vouched(by_pdq, by_descriptor, DescriptorParams().tolerance)
    matches = merge_matches(by_pdq, by_descriptor)
    shas = dict(
        session.execute(select(Item.id, Item.sha256).where(Item.id.in_([m.item_id for m in matches]))).all()
    )
    return [FoundMatch(m, shas[m.item_id]) for m in matches]


def _lookup_descriptors(
    session: Session,
    descriptors: Sequence[DescriptorRecord],
    excluded: tuple[int, ...],
    check: PictureCheck | None = None,
) -> tuple[list[ItemMatch], dict[int, float]]:
    """The descriptor matches, and each candidate's resemblance: the mean similarity of the three
    query frames most like it."""
    params = DescriptorParams()
    if not descriptors:
        return [], {}
    algorithm = (sscd.ALGORITHM, sscd.VERSION)
    described = [d for d in descriptors if (d.algorithm, d.version) == algorithm]
    vectors = sscd.unpack([d.vector for d in described])
    hits = descriptor_index.search(
        session, vectors, algorithm=algorithm, threshold=params.pair, exclude_items=excluded
    )
    if not hits:
        return [], {}
    best: dict[tuple[int, int], float] = {}
    for h in hits:
        best[h.item_id, h.query] = max(best.get((h.item_id, h.query), 0.0), h.similarity)
    per_item: dict[int, list[float]] = {}
    for (item_id, _), value in best.items():
        per_item.setdefault(item_id, []).append(value)
    resemblance = {i: sum(sorted(v, reverse=True)[:3]) / min(3, len(v)) for i, v in per_item.items()}
    candidates = {h.item_id for h in hits}
    targets = descriptor_index.descriptors_of(session, candidates, algorithm)
    pairs = pairs_of(vectors, [d.t for d in described], targets, params)
    query = DescribedQuery(tuple(d.t for d in described), tuple(not d.flat for d in described))
    times = {item: t for item, (t, _) in targets.items()}
    groups = relations.groups_among(session, candidates)
    found = match_descriptors(query, pairs, times, params, groups, check, durations_of(session, candidates))
    return [_ranged(m, vectors, query.times, targets) for m in found], resemblance


def _ranged(
    match: ItemMatch,
    vectors: npt.NDArray[np.float32],
    times: Sequence[float],
    targets: dict[int, tuple[list[float], npt.NDArray[np.float32]]],
) -> ItemMatch:
    """`match` with each segment's range of offsets the pictures fit as well (`core.offset_range`)."""
    stored_times, stored = targets[match.item_id]
    return replace(
        match,
        segments=tuple(
            replace(s, offset_range=offset_range(s, times, vectors, stored_times, stored))
            for s in match.segments
        ),
    )


def _lookup_pdq(
    session: Session, query: Sequence[QueryRecord], excluded: tuple[int, ...], params: MatchParams
) -> list[ItemMatch]:
    table = QueryTable.of(query)
    # every hash of the informative frames, in order: row r is hash r of the search
    row_frame, row_code, row_hashes = table.hash_rows(informative_only=True)
    if not len(row_hashes):
        return []
    hits = hashindex.search(session, row_hashes, threshold=params.threshold, exclude_items=excluded)
    if not hits:
        return []
    times = frame_times(session, {h.frame_id for h in hits})
    best: dict[tuple[int, int, int], FrameHit] = {}
    names = table.variants
    for h in hits:
        qi, variant = int(row_frame[h.query]), names[row_code[h.query]]
        if not comparable(h.variant, variant):
            continue
        key = (qi, h.item_id, h.frame_id)
        if key not in best or h.distance < best[key].distance:
            best[key] = FrameHit(qi, h.item_id, times[h.frame_id], h.distance, variant)
    candidates = {h.item_id for h in best.values()}
    targets = match_targets(session, candidates)
    return match_items(table, best.values(), targets, params, relations.groups_among(session, candidates))


def match_new_item(
    ws: Workspace, outcome: AnalysisOutcome, *, actor: str, worker: Worker | None = None
) -> list[FoundMatch]:
    """After a new item's analysis: look it up, and record what it matches as suggested relations."""
    if not outcome.query and not outcome.descriptors:
        return []
    with ws.db.read() as session:
        pictures = None
        if worker is not None and outcome.kind in VISUAL:
            summary = session.get_one(Item, outcome.item_id).summary or {}
            path = str(ws.store.local_file(outcome.sha256))
            pictures = QueryPictures.of(ws, worker, path, summary, outcome.kind)
        found = lookup(
            session,
            outcome.query,
            exclude_item=outcome.item_id,
            descriptors=outcome.descriptors,
            pictures=pictures,
        )
    if worker is not None:
        stills = match_still(ws, worker, outcome.query, exclude_item=outcome.item_id)
        found = _merged(found, stills)
    if not found:
        return []
    with ws.db.write() as session:
        item = session.get_one(Item, outcome.item_id)
        kept = {m.item_id for m in suggest(session, item, [f.match for f in found], actor=actor)}
    return [f for f in found if f.match.item_id in kept]


def _merged(found: Sequence[FoundMatch], more: Sequence[FoundMatch]) -> list[FoundMatch]:
    shas = {f.match.item_id: f.sha256 for f in (*found, *more)}
    merged = merge_matches([f.match for f in more], [f.match for f in found])
    return [FoundMatch(m, shas[m.item_id]) for m in merged]


STILL_SEARCH_THRESHOLD = 64  # a still's neighbours in the index, checked frame by frame afterwards
STILL_CANDIDATES = 8
STILL_WINDOW = 1.0  # seconds either side of the stored frame that came close


def match_still(
    ws: Workspace,
    worker: Worker,
    query: Sequence[QueryRecord],
    *,
    exclude_item: int | None,
    params: MatchParams | None = None,
) -> list[FoundMatch]:
    """A single picture against the videos: the index only holds a frame per second, so the stored
    frames near the picture are found with a loose threshold, then every frame of the stored video
    around them is hashed (in the worker) and the picture must be within the strict threshold of one.
    Videos the index already found are timed this way too: the frame a still was taken from lies
    anywhere between two stored ones, and the nearest stored frame may match it as well."""
    params = params or MatchParams()
    if len(query) != 1 or not query[0].informative:
        return []
    variants = [(v, h) for v, h in query[0].hashes if v not in REGIONS]
    excluded = () if exclude_item is None else (exclude_item,)
    with ws.db.read() as session:
        hits = hashindex.search(
            session, [h for _, h in variants], threshold=STILL_SEARCH_THRESHOLD, exclude_items=excluded
        )
        hits.sort(key=lambda h: h.distance)
        times = frame_times(session, {h.frame_id for h in hits})
        videos = {
            i: (sha, summary)
            for i, sha, summary in session.execute(
                select(Item.id, Item.sha256, Item.summary).where(
                    Item.id.in_({h.item_id for h in hits}), Item.kind == MediaKind.VIDEO.value
                )
            )
        }
    candidates: list[tuple[int, float]] = []
    for h in hits:
        if h.item_id in videos and (h.item_id, times[h.frame_id]) not in candidates:
            candidates.append((h.item_id, times[h.frame_id]))
    best: dict[int, tuple[int, float, str]] = {}
    packed = hamming.pack([h for _, h in variants])
    for item_id, t in candidates[:STILL_CANDIDATES]:
        sha, summary = videos[item_id]
        try:
            window = jobs.frame_window(
                worker,
                str(ws.store.local_file(sha)),
                max(0.0, t - STILL_WINDOW),
                t + STILL_WINDOW,
                (summary or {}).get("border"),
                timeout=base_timeout(),
            )
        except WorkerFailure:
            continue
        for frame_t, value, quality in window:
            if quality < MIN_QUALITY:
                continue
            stored = hamming.pack([value])[0]
            apart = hamming.distances(stored, packed).tolist()
            for (variant, _), distance in zip(variants, apart, strict=True):
                if distance <= params.threshold and (item_id not in best or distance < best[item_id][0]):
                    best[item_id] = (distance, frame_t, variant)
    found = []
    for item_id, (distance, frame_t, variant) in sorted(best.items(), key=lambda kv: kv[1][0]):
        t = round(frame_t, 3)
        match = still_match(item_id, t, variant, closest=((0.0, t, distance),))
        found.append(FoundMatch(match, videos[item_id][0]))
    return found


@dataclass(frozen=True, slots=True)
class FileMatch:
    path: str
    sha256: str
    exact: tuple[int, str] | None  # the catalogued item with these very bytes
    kind: str
    analysis: str  # "ok" or "failed:<reason>"
    query_frames: int
    matches: list[FoundMatch]
    known: list[KnownHit] = field(default_factory=list)  # entries of partners' hash lists it matches


def _sha256(path: Path) -> str:
    fd = open_regular(path)
    hasher = hashlib.sha256()
    try:
        while chunk := os.read(fd, 1 << 20):
            hasher.update(chunk)
    finally:
        os.close(fd)
    return hasher.hexdigest()


def match_file(
    ws: Workspace,
    path: Path,
    *,
    params: MatchParams | None = None,
    dense: bool = False,
    worker: Worker | None = None,
) -> FileMatch:
    """Fingerprint a file that is not added (nothing is written) and look it up; `worker` (one of
    the caller's, else a new one) analyses it and then compares pictures."""
    shown = printable(str(path))
    digest = _sha256(path)
    options = AnalysisOptions(query_interval="0" if dense else None, lookup=True)
    with contextlib.nullcontext(worker) if worker is not None else Worker() as worker:
        derivation = derive_file(worker, str(path), path.name, path.stat().st_size, options)
        kind = MediaKind.OTHER.value if derivation.probed is None else str(derivation.probed.kind)
        analysis, query, descriptors = str(derivation.status), derivation.query, derivation.descriptors
        if kind == MediaKind.OTHER.value and analysis == "ok":
            analysis = "failed:not a video or image: nothing to match"
        with ws.db.read() as session:
            exact_item = session.execute(select(Item.id, Item.sha256).where(Item.sha256 == digest)).first()
            exact = (exact_item[0], exact_item[1]) if exact_item else None
            summary = derivation.media.summary if derivation.media is not None else {}
            pictures = QueryPictures.of(ws, worker, str(path), summary, kind) if kind in VISUAL else None
            found = lookup(
                session,
                query,
                exclude_item=exact[0] if exact else None,
                params=params,
                descriptors=descriptors,
                pictures=pictures,
            )
        stills = match_still(ws, worker, query, exclude_item=exact[0] if exact else None, params=params)
        found = _merged(found, stills)
    if not query and analysis == "ok":
        raise InputRefused(f"{shown}: no frame could be fingerprinted")
    frames = [  # informative frames: their whole-picture hashes (quality is not sent: taken as good)
        (r.t, h.hex(), 100)
        for r in query
        if r.informative
        for variant, h in r.hashes
        if variant in (HashVariant.CANONICAL, HashVariant.RAW)
    ]
    with ws.db.read() as session:
        known = known_hits(session, ws.store, frames)
    return FileMatch(shown, digest, exact, kind, analysis, len(query), found, known)


def duplicate_clusters(ws: Workspace) -> list[list[Item]]:
    with ws.db.read() as session:
        return relations.clusters(session)


def decide_relation(
    ws: Workspace, a_ref: str, b_ref: str, *, confirm: bool, kind: str | None, note: str | None, actor: str
) -> relations.Decision:
    with ws.db.write() as session:
        a = queries.resolve_ref(session, a_ref)
        b = queries.resolve_ref(session, b_ref)
        return relations.decide(session, a, b, confirm=confirm, kind=kind, note=note, actor=actor)


def rebuild_index(ws: Workspace, *, actor: str) -> int:
    with ws.db.write() as session:
        rows = hashindex.rebuild(session)
        details = {"band_rows": rows}
        custody.append(
            session, actor=actor, action=CustodyAction.REINDEX, subject="catalogue", details=details
        )
    return rows
