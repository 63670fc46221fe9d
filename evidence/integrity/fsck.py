"""Use case: `evidence fsck [--repair] [--deep]` — find what a crash (or a hand) left in the store and
the catalogue, repair what is safe to repair, and report the rest.

Repairs never touch an original: an unfinished copy in store/tmp is removed (the original is still
wherever it was added from); an object that was published but never catalogued is re-hashed and
moved, whole, to store/orphans/; a writable object is made read-only again; an object missing from
objects/ is put back from orphans/ when a copy with the right bytes is there. A row whose object is
gone is reported, never deleted. Every repair appends an `fsck-repair` custody event.

The check runs with the store's writers' lock held exclusively, so an add or an analysis in
progress in another process is never mistaken for a leftover (fsck refuses with exit 4 instead).
"""

from __future__ import annotations

import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from evidence.catalogue import custody
from evidence.catalogue.models import Frame, Item
from evidence.core.custody import ChainRecord, CustodyAction, walk_chain
from evidence.core.progress import SILENT, Progress
from evidence.core.types import MediaKind
from evidence.errors import ExitCode
from evidence.store.base import DERIVED, OBJECTS, object_name
from evidence.workspace import Workspace

REPAIR = "repair"  # `evidence fsck --repair` does it
ANALYZE = "analyze"  # derived data: the suggested `evidence analyze` re-creates it
HUMAN = "human"  # integrity: a person must look (exit 5)

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_WRITABLE = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
_FRAMED_KINDS = (MediaKind.VIDEO.value, MediaKind.IMAGE.value)


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    subject: str
    message: str
    action: str  # REPAIR | ANALYZE | HUMAN
    repaired: bool = False
    suggestion: str | None = None  # a command that deals with it


@dataclass
class FsckReport:
    repair: bool = False
    deep: bool = False
    objects_checked: int = 0
    bytes_checked: int = 0
    events_checked: int = 0
    chain_head: str | None = None
    quarantined: int = 0  # files kept in store/orphans/
    problems: list[Finding] = field(default_factory=list)

    @property
    def repaired(self) -> int:
        return sum(1 for p in self.problems if p.repaired)

    @property
    def ok(self) -> bool:
        """The store and the catalogue agree (after the repairs made)."""
        return not any(p.action != ANALYZE and not p.repaired for p in self.problems)

    @property
    def exit_code(self) -> ExitCode:
        if not self.ok:
            return ExitCode.INTEGRITY
        if any(p.action == ANALYZE for p in self.problems):
            return ExitCode.ANALYSIS_INCOMPLETE
        return ExitCode.OK


@dataclass(frozen=True, slots=True)
class _Row:
    id: int
    size: int
    kind: str
    analysis: str


class _Run:
    def __init__(self, ws: Workspace, report: FsckReport, actor: str) -> None:
        self.ws, self.report, self.actor = ws, report, actor

    def add(self, finding: Finding) -> None:
        self.report.problems.append(finding)

    def log(self, finding: Finding, repair: str, **details: Any) -> Finding:
        """Record a repair that was made in the custody log; return the finding, marked repaired."""
        with self.ws.db.write() as session:
            custody.append(
                session,
                actor=self.actor,
                action=CustodyAction.FSCK_REPAIR,
                subject=finding.subject,
                details={"problem": finding.kind, "repair": repair, **details},
            )
        done = Finding(finding.kind, finding.subject, finding.message, finding.action, True, None)
        self.add(done)
        return done


def fsck(
    ws: Workspace,
    *,
    actor: str,
    repair: bool = False,
    deep: bool = False,
    progress: Progress = SILENT,
) -> FsckReport:
    report = FsckReport(repair=repair, deep=deep)
    run = _Run(ws, report, actor)
    with ws.store.exclusive():
        with ws.db.read() as session:
            rows = {
                sha: _Row(i, size, kind, analysis)
                for i, sha, size, kind, analysis in session.execute(
                    select(Item.id, Item.sha256, Item.size, Item.kind, Item.analysis).order_by(Item.id)
                )
            }
            framed = set(session.scalars(select(Frame.item_id).distinct()))
            thumbs = [
                (item_id, str(thumb))
                for item_id, thumb in session.execute(
                    select(Frame.item_id, Frame.thumbnail).where(Frame.thumbnail.is_not(None)).distinct()
                )
            ]
        _temp_files(run, repair)
        _recorded_objects(run, rows, repair)
        _unrecorded_objects(run, rows, repair)
        _analysis(run, rows, framed)
        _thumbnails(run, rows, thumbs, repair)
        report.quarantined = len(ws.store.orphan_names())
    _chain(run)
    if deep:
        _rehash(run, rows, progress)
    return report


def _temp_files(run: _Run, repair: bool) -> None:
    for leftover in run.ws.store.leftovers():
        subject, size = leftover.name, leftover.size
        if not leftover.regular:
            run.add(Finding("stray-file", subject, f"{subject} is not a regular file; look at it", HUMAN))
            continue
        if leftover.thumbnail:
            message = f"unfinished write {subject} ({size} bytes) of a thumbnail from an interrupted analysis"
        else:
            message = (
                f"unfinished copy {subject} ({size} bytes) from an interrupted add: nothing was "
                "catalogued from it and the original is still where it was added from"
            )
        finding = Finding("temp-file", subject, message, REPAIR)
        if not repair:
            run.add(Finding(*_fields(finding), suggestion="evidence fsck --repair"))
            continue
        digest = run.ws.store.remove_leftover(leftover)
        run.log(_said(finding, "; removed"), "removed", size=size, sha256=digest)


def _recorded_objects(run: _Run, rows: dict[str, _Row], repair: bool) -> None:
    store = run.ws.store
    for sha, row in rows.items():
        subject = f"item:{sha}"
        run.report.objects_checked += 1
        st = store.state(sha)
        if st is None:
            _missing(run, sha, row, repair)
            continue
        if not st.regular:
            run.add(
                Finding(
                    "not-regular",
                    subject,
                    f"object of #{row.id} ({sha}) is no longer a regular file; restore it from a backup",
                    HUMAN,
                )
            )
            continue
        if st.size != row.size:
            message = (
                f"object of #{row.id} ({sha}) has {st.size} bytes, the catalogue recorded {row.size}: "
                "it was altered; restore it from a backup"
            )
            run.add(Finding("changed", subject, message, HUMAN))
        if st.mode & _WRITABLE:
            _writable(run, (sha, OBJECTS), subject, f"object of #{row.id}", st.mode, repair)


def _missing(run: _Run, sha: str, row: _Row, repair: bool) -> None:
    store = run.ws.store
    subject = f"item:{sha}"
    if store.orphan_holds(sha):
        finding = Finding(
            "missing-object",
            subject,
            f"object of #{row.id} ({sha}) is missing from objects/, but store/orphans/ holds its bytes",
            REPAIR,
        )
        if not repair:
            run.add(Finding(*_fields(finding), suggestion="evidence fsck --repair"))
            return
        store.restore(sha)
        run.log(_said(finding, "; put back"), "restored", source=f"orphans/{sha}")
        return
    message = (
        f"object of #{row.id} ({sha}) is missing from the store; the catalogue keeps its record: "
        "restore the file from a backup (or add the original again)"
    )
    run.add(Finding("missing-object", subject, message, HUMAN))


def _writable(run: _Run, found: tuple[str, str], subject: str, what: str, mode: int, repair: bool) -> None:
    message = f"{what} is writable (mode {stat.S_IMODE(mode):o}); it should be read-only (444)"
    finding = Finding("writable", subject, message, REPAIR)
    if not repair:
        run.add(Finding(*_fields(finding), suggestion="evidence fsck --repair"))
        return
    run.ws.store.make_read_only(*found)
    run.log(_said(finding, "; made read-only"), "chmod 444", mode=f"{stat.S_IMODE(mode):o}")


def _unrecorded_objects(run: _Run, rows: dict[str, _Row], repair: bool) -> None:
    store = run.ws.store
    for obj in store.iter_objects(settled=True):
        name = obj.name
        if obj.sha256 in rows and object_name(obj.sha256) == name:
            continue
        if not _SHA256.match(obj.sha256) or object_name(obj.sha256) != name:
            message = f"{name} is not named like a stored object; look at it (it was left alone)"
            run.add(Finding("stray-file", name, message, HUMAN))
            continue
        subject = f"object:{obj.sha256}"
        if not obj.regular:
            message = f"{name} is not a regular file and no item records it; look at it"
            run.add(Finding("not-regular", subject, message, HUMAN))
            continue
        message = (
            f"object {obj.sha256} was published but never catalogued (an add interrupted before its "
            "commit); adding the original again catalogues it"
        )
        finding = Finding("unrecorded-object", subject, message, REPAIR)
        if not repair:
            run.add(Finding(*_fields(finding), suggestion="evidence fsck --repair"))
            continue
        actual = store.hash_object(obj.sha256)
        if actual != obj.sha256:
            message = (
                f"object {obj.sha256} is in the store, no item records it, and its bytes hash to {actual}: "
                "it is corrupt; it was left where it is for a person to look at"
            )
            run.add(Finding("corrupt-object", subject, message, HUMAN))
            continue
        held = store.state(obj.sha256)
        size = held.size if held is not None else 0
        where = store.quarantine(obj)
        run.log(_said(finding, f"; re-hashed and moved to store/{where}"), "quarantined", size=size, to=where)


def _analysis(run: _Run, rows: dict[str, _Row], framed: set[int]) -> None:
    for sha, row in rows.items():
        subject = f"item:{sha}"
        if row.analysis == "pending":
            message = f"the analysis of #{row.id} is pending (never run, interrupted, or --quick)"
            run.add(
                Finding("analysis-pending", subject, message, ANALYZE, False, "evidence analyze --pending")
            )
        elif row.analysis == "ok" and row.kind in _FRAMED_KINDS and row.id not in framed:
            message = f"#{row.id} is a {row.kind} analysed ok, but the catalogue holds no frames of it"
            run.add(Finding("frames-missing", subject, message, ANALYZE, False, f"evidence analyze {row.id}"))


def _thumbnails(run: _Run, rows: dict[str, _Row], thumbs: list[tuple[int, str]], repair: bool) -> None:
    store = run.ws.store
    shas = {row.id: sha for sha, row in rows.items()}
    missing: dict[int, int] = {}
    for item_id, thumb in thumbs:
        st = store.state(thumb, DERIVED)
        if st is None:
            missing[item_id] = missing.get(item_id, 0) + 1
            continue
        if st.regular and st.mode & _WRITABLE:
            _writable(run, (thumb, DERIVED), f"derived:{thumb}", f"thumbnail {thumb}", st.mode, repair)
    for item_id, count in sorted(missing.items()):
        message = f"{count} keyframe thumbnail(s) of #{item_id} are missing from store/derived"
        subject = f"item:{shas.get(item_id, item_id)}"
        run.add(Finding("thumbnail-missing", subject, message, ANALYZE, False, f"evidence analyze {item_id}"))


def _chain(run: _Run) -> None:
    with run.ws.db.read() as session:
        for record_problem in walk_chain(_counting(custody.records(session), run.report)):
            run.add(
                Finding(
                    f"chain-{record_problem.kind}",
                    f"event:{record_problem.seq}",
                    f"{record_problem.message}; the custody log was tampered with",
                    HUMAN,
                )
            )
        head = custody.head(session)
        run.report.chain_head = head.hash if head else None


def _counting(records: Iterator[ChainRecord], report: FsckReport) -> Iterator[ChainRecord]:
    for record in records:
        report.events_checked += 1
        yield record


def _rehash(run: _Run, rows: dict[str, _Row], progress: Progress) -> None:
    store = run.ws.store
    flagged = {p.subject for p in run.report.problems if p.action == HUMAN}
    present = {sha: row for sha, row in rows.items() if f"item:{sha}" not in flagged and store.has(sha)}
    progress.start(len(present), sum(row.size for row in present.values()))
    for sha, row in present.items():
        try:
            actual = store.hash_object(sha, progress=progress.advance)
        except OSError as exc:
            message = f"object of #{row.id} ({sha}) cannot be read: {exc.strerror}"
            run.add(Finding("unreadable", f"item:{sha}", message, HUMAN))
            continue
        run.report.bytes_checked += row.size
        if actual != sha:
            message = (
                f"object of #{row.id} ({sha}) has changed: its bytes now hash to {actual}; "
                "restore it from a backup"
            )
            run.add(Finding("changed", f"item:{sha}", message, HUMAN))


def _fields(finding: Finding) -> tuple[str, str, str, str]:
    return finding.kind, finding.subject, finding.message, finding.action


def _said(finding: Finding, suffix: str) -> Finding:
    return Finding(finding.kind, finding.subject, finding.message + suffix, finding.action)
