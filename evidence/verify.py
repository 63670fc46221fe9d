"""Use case: `evidence verify` — re-hash every object, re-walk the custody chain, log a fixity event."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import select

from evidence.catalogue import custody
from evidence.catalogue.models import Item
from evidence.core.custody import ChainRecord, walk_chain
from evidence.workspace import Workspace


@dataclass(frozen=True, slots=True)
class Problem:
    kind: str  # "changed" | "missing" | "untracked" | "chain-edited" | "chain-gap" | ...
    subject: str
    message: str


@dataclass
class VerifyReport:
    objects_checked: int = 0
    bytes_checked: int = 0
    events_checked: int = 0
    chain_head: str | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


StartFn = Callable[[int], None]
AdvanceFn = Callable[[int], None]


def verify(
    ws: Workspace, *, actor: str, start: StartFn | None = None, advance: AdvanceFn | None = None
) -> VerifyReport:
    report = VerifyReport()
    with ws.db.read() as session:
        items = [
            (sha, size) for sha, size in session.execute(select(Item.sha256, Item.size).order_by(Item.id))
        ]
    if start is not None:
        start(sum(size for _, size in items))
    known = set()
    for sha, size in items:
        known.add(sha)
        _check_object(ws, sha, size, report, advance)
    for obj in ws.store.iter_objects():
        if obj.sha256 not in known:
            report.problems.append(
                Problem(
                    "untracked", obj.sha256, f"object {obj.sha256} is in the store but not in the catalogue"
                )
            )
    for leftover in ws.store.leftovers():
        report.warnings.append(
            f"unfinished copy left in the store: {leftover.name} (a crash or an interrupted add)"
        )
    with ws.db.read() as session:
        for problem in walk_chain(_counting(custody.records(session), report)):
            report.problems.append(Problem(f"chain-{problem.kind}", f"event:{problem.seq}", problem.message))
        head = custody.head(session)
        report.chain_head = head.hash if head else None
    with ws.db.write() as session:
        custody.append(
            session,
            actor=actor,
            action="verify",
            subject="catalogue",
            details={
                "ok": report.ok,
                "objects_checked": report.objects_checked,
                "events_checked": report.events_checked,
                "problems": [f"{p.kind} {p.subject}" for p in report.problems[:100]],
                "chain_head": report.chain_head,
            },
        )
    return report


def _counting(records: Iterator[ChainRecord], report: VerifyReport) -> Iterator[ChainRecord]:
    for record in records:
        report.events_checked += 1
        yield record


def _check_object(
    ws: Workspace, sha: str, size: int, report: VerifyReport, advance: AdvanceFn | None
) -> None:
    path = ws.store.path_for(sha)
    report.objects_checked += 1
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        report.problems.append(Problem("missing", sha, f"object {sha} is missing from the store"))
        return
    if not stat.S_ISREG(st.st_mode):
        report.problems.append(Problem("replaced", sha, f"object {sha} is no longer a regular file"))
        return
    if st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        report.warnings.append(f"object {sha} is writable (expected read-only); `chmod 444` it")
    try:
        actual = ws.store.hash_object(sha, progress=advance)
    except OSError as exc:
        report.problems.append(Problem("unreadable", sha, f"object {sha} cannot be read: {exc.strerror}"))
        return
    report.bytes_checked += st.st_size
    if actual != sha or st.st_size != size:
        report.problems.append(
            Problem("changed", sha, f"object {sha} has changed: its bytes now hash to {actual}")
        )
