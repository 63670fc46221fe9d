"""Use case: `evidence add` — preserve files (copy, hash, publish, log), then analyse them."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select

from evidence import faults
from evidence.analysis.options import AnalysisOptions
from evidence.analysis.queue import JobQueue
from evidence.analysis.worker import Worker
from evidence.catalogue.known import KnownHit, items_known
from evidence.catalogue.models import Item
from evidence.core.progress import Progress, Silent
from evidence.core.text import is_link, printable, storable
from evidence.core.timeutil import Instant
from evidence.core.types import AnalysisStatus, MediaKind
from evidence.errors import EvidenceError, InputRefused
from evidence.ingest.analyze import analyse_and_match
from evidence.ingest.record import Origin, record_in
from evidence.matching.match import FoundMatch
from evidence.store.base import OBJECTS, ObjectFile, Stored, object_name
from evidence.store.files import ProgressFn, environment_error, walk_folder
from evidence.workspace import Workspace


@dataclass(frozen=True, slots=True)
class AddOptions:
    source_url: str | None = None
    posted_at: Instant | None = None
    claimed_by: str | None = None
    collected_by: str | None = None
    note: str | None = None
    include_hidden: bool = False
    analyse: bool = True
    quick: bool = False  # key frames only; full analysis later with `evidence analyze --pending`
    match: bool = True  # look new items up among the catalogued ones and record suggested relations
    actor: str = "unknown"
    manifest: dict[str, Any] | None = None  # the manifest row it came from, kept in the acquire event
    queue: JobQueue | None = None  # hand analysis and lookup to `evidence worker` (EVIDENCE_QUEUE_URL)


@dataclass(frozen=True, slots=True)
class Candidate:
    path: Path
    size: int
    identity: tuple[int, int] | None = None  # (device, inode) when listed: the file copied must be it


@dataclass(frozen=True, slots=True)
class Skipped:
    path: str
    reason: str


class AddStatus(StrEnum):  # what adding one path did, as printed and in `--json`
    ADDED = "added"  # new bytes, preserved
    DUPLICATE = "duplicate"  # bytes already catalogued: a new acquisition of that item
    FAILED = "failed"  # refused: nothing preserved


@dataclass(frozen=True, slots=True)
class FileResult:
    path: str  # printable
    status: AddStatus
    id: int | None = None
    sha256: str | None = None
    size: int | None = None
    kind: str | None = None
    analysis: str | None = None
    acquisition_id: int | None = None
    error: str | None = None
    near_duplicates: tuple[FoundMatch, ...] = ()
    known: tuple[KnownHit, ...] = ()  # entries of partners' hash lists its frames match
    credentials_problem: str | None = None  # its C2PA manifest is present but could not be read

    @classmethod
    def refused(cls, path: str, error: str) -> FileResult:
        return cls(path, AddStatus.FAILED, error=error)

    @classmethod
    def recorded(cls, path: str, item: Item, acquisition_id: int, *, new: bool) -> FileResult:
        """A file just recorded: its item (new, or the one its bytes already were) and acquisition."""
        return cls(
            path=path,
            status=AddStatus.ADDED if new else AddStatus.DUPLICATE,
            id=item.id,
            sha256=item.sha256,
            size=item.size,
            kind=item.kind,
            analysis=item.analysis,
            acquisition_id=acquisition_id,
        )


@dataclass
class AddReport:
    results: list[FileResult] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


class AddProgress(Progress, Protocol):
    """Progress with the file being added (`stage` says what is done to it after the copy)."""

    def file_started(self, path: str, size: int) -> None: ...
    def file_done(self, result: FileResult) -> None: ...


class NoProgress(Silent):
    def file_started(self, path: str, size: int) -> None:
        pass

    def file_done(self, result: FileResult) -> None:
        pass


def collect(
    paths: Iterable[Path | str], *, include_hidden: bool, catalogue_root: Path
) -> tuple[list[Candidate], list[Skipped], list[FileResult]]:
    """Expand folders (recursive, sorted; hidden names and symbolic links inside folders skipped),
    drop repeats, refuse what cannot be read. Explicitly named symbolic links are followed. A text
    written as a link (`https://…`) that names no file is refused as a link, shown as given."""
    candidates: list[Candidate] = []
    skipped: list[Skipped] = []
    refused: list[FileResult] = []
    seen: set[tuple[int, int]] = set()
    catalogue_root = catalogue_root.resolve()

    def consider(path: Path, st: os.stat_result) -> None:
        key = (st.st_dev, st.st_ino)
        if key in seen:
            skipped.append(Skipped(printable(str(path)), "the same file was already given in this command"))
            return
        seen.add(key)
        candidates.append(Candidate(path, st.st_size, key))

    for given in paths:
        shown = printable(str(given))
        if isinstance(given, str):
            if is_link(given) and not os.path.lexists(given):  # Path() would fold its `//`
                refused.append(
                    FileResult.refused(
                        shown, f"{shown}: a link, not a file; capture it with `evidence capture {shown}`"
                    )
                )
                continue
            given = Path(given)
        try:
            st = os.stat(given)
        except FileNotFoundError:
            refused.append(FileResult.refused(shown, f"{shown}: no such file or directory"))
            continue
        except OSError as exc:
            refused.append(FileResult.refused(shown, f"{shown}: cannot access: {exc.strerror}"))
            continue
        if _inside(given, catalogue_root):
            refused.append(FileResult.refused(shown, f"{shown}: is inside the catalogue itself"))
            continue
        if not stat.S_ISDIR(st.st_mode):
            consider(given, st)
            continue
        for path, found in walk_folder(given, include_hidden=include_hidden):
            if isinstance(found, str):
                refused.append(FileResult.refused(printable(str(path)), f"{printable(str(path))}: {found}"))
            elif stat.S_ISLNK(found.st_mode):
                skipped.append(Skipped(printable(str(path)), "symbolic link inside a folder (not followed)"))
            else:
                consider(path, found)
    return candidates, skipped, refused


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
    except ValueError:
        return False
    return True


def add_paths(
    ws: Workspace,
    paths: Sequence[Path | str],
    options: AddOptions,
    progress: AddProgress | None = None,
    *,
    worker: Worker | None = None,
) -> AddReport:
    """Add files and folders. `worker` lets the caller start the analysis process early, so that its
    start overlaps the caller's own start; without one, a worker is made here."""
    candidates, skipped, refused = collect(
        paths, include_hidden=options.include_hidden, catalogue_root=ws.location.root
    )
    report = AddReport(results=list(refused), skipped=skipped)
    return add_files(ws, [(c, options) for c in candidates], options, report, progress, worker=worker)


def with_known(ws: Workspace, result: FileResult) -> FileResult:
    """The result with the entries of partners' hash lists its item's frames match."""
    if result.id is None:
        return result
    with ws.db.read() as session:
        hits = items_known(session, ws.store, [result.id]).get(result.id, [])
    return dataclasses.replace(result, known=tuple(hits))


def add_files(
    ws: Workspace,
    files: list[tuple[Candidate, AddOptions]],
    options: AddOptions,
    report: AddReport,
    progress: AddProgress | None = None,
    *,
    worker: Worker | None = None,
) -> AddReport:
    """Add listed files, each with its own acquisition details; `options` says how (analysis, matching,
    actor). The results are appended to `report`."""
    progress = progress or NoProgress()
    analysis_options = AnalysisOptions(quick=options.quick)
    progress.start(len(files), sum(c.size for c, _ in files))
    with contextlib.nullcontext(worker) if worker is not None else Worker() as worker:
        if options.analyse and files and options.queue is None:
            worker.start()  # warms up while the first file is copied (no-op when already started)
        for candidate, own in files:
            shown = printable(str(candidate.path))
            progress.file_started(shown, candidate.size)
            try:
                result = add_one(
                    ws, candidate.path, own, progress=progress.advance, identity=candidate.identity
                )
                faults.checkpoint("committed")
            except InputRefused as refusal:
                result = FileResult.refused(shown, refusal.message)
            if options.analyse and result.id is not None and result.status == AddStatus.ADDED:
                progress.stage(f"analysing {shown}")
                outcome, found = analyse_and_match(
                    ws,
                    worker,
                    result.id,
                    actor=options.actor,
                    options=analysis_options,
                    match=options.match,
                    matching=functools.partial(progress.stage, f"matching {shown}"),
                    queue=options.queue,
                )
                result = with_analysis(result, outcome.status, outcome.kind, found)
                result = dataclasses.replace(result, credentials_problem=outcome.credentials_problem)
            if options.match and options.queue is None:
                result = with_known(ws, result)
            report.results.append(result)
            progress.file_done(result)
    return report


def with_analysis(
    result: FileResult, status: AnalysisStatus, kind: MediaKind, found: list[FoundMatch]
) -> FileResult:
    return FileResult(
        path=result.path,
        status=result.status,
        id=result.id,
        sha256=result.sha256,
        size=result.size,
        kind=kind.value,
        analysis=str(status),
        acquisition_id=result.acquisition_id,
        near_duplicates=tuple(found),
    )


def add_one(
    ws: Workspace,
    path: Path,
    options: AddOptions,
    *,
    progress: ProgressFn | None = None,
    identity: tuple[int, int] | None = None,
) -> FileResult:
    """Preserve one file: store it, then one short transaction for item, acquisition and events.
    `identity` is the (device, inode) the file had when it was listed; another file now at that path
    (swapped in, or a symbolic link put in its place inside a folder) is refused."""
    stored = ws.store.put_file(path, progress=progress, identity=identity)
    try:
        return _record(ws, path, stored, options)
    except EvidenceError as exc:  # the database failed (full, locked, damaged…) after the publish
        if not stored.existed:
            exc.message = f"{exc.message}; {set_aside(ws, stored.sha256)}"
            exc.args = (exc.message,)
        raise
    except OSError as exc:
        failure = environment_error(exc, "recording the file in the catalogue")
        if not stored.existed:
            failure.message = f"{failure.message}; {set_aside(ws, stored.sha256)}"
        raise failure from exc


def set_aside(ws: Workspace, sha256: str) -> str:
    """After a failed commit, the object this add published and nothing records is moved to
    store/orphans/ (as `evidence fsck --repair` would), so that objects/ holds nothing unaccounted for;
    returns where it is now, for the error message. It is left in place when another command is
    writing (it could be recording the same bytes) or when the move or the check fails."""
    path = ws.store.location(sha256)
    if ws.store.shared:
        return (
            f"the copy it made stays at {printable(path)} with no record (a shared store is not locked: "
            "`evidence fsck --repair` sets it aside once it is older than an hour); add the file again"
        )
    try:
        with ws.store.exclusive():
            with ws.db.read() as session:
                item_id = session.scalar(select(Item.id).where(Item.sha256 == sha256))
            if item_id is not None:
                return f"its bytes are catalogued as item {item_id} all the same (another command added them)"
            moved = ws.store.quarantine(ObjectFile(sha256, object_name(sha256), OBJECTS, True))
    except EvidenceError:
        return (
            f"the copy it made stays at {printable(path)} with no record: run `evidence fsck "
            "--repair` once this is fixed (it moves it to store/orphans/), then add the file again"
        )
    return (
        f"nothing was recorded, and the copy it made was moved to {printable(f'{ws.store.where}/{moved}')} "
        "(`evidence fsck` counts it there): add the file again once this is fixed"
    )


def _record(ws: Workspace, path: Path, stored: Stored, options: AddOptions) -> FileResult:
    """One short transaction: the item (when new), the acquisition and their custody events."""
    name_text, _ = storable(path.name)
    path_text, path_raw = storable(os.path.abspath(path))
    origin = Origin(
        name=name_text,
        path=path_text,
        path_raw=path_raw,
        source_url=options.source_url,
        posted_at=options.posted_at,
        claimed_by=options.claimed_by,
        collected_by=options.collected_by,
        note=options.note,
    )
    extra = {"manifest": options.manifest} if options.manifest else None
    with ws.db.write() as session:
        item, acquisition, new = record_in(session, ws, stored, origin, actor=options.actor, extra=extra)
        faults.checkpoint("commit")
        result = FileResult.recorded(printable(str(path)), item, acquisition.id, new=new)
    return result
