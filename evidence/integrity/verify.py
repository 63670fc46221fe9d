"""Use case: `evidence verify` — re-hash every object, re-walk the custody chain, compare every record
and every item's derived data with the newest custody event that recorded it, log a fixity event.

What this proves: the stored originals and thumbnails still have the bytes their names (SHA-256) say;
the custody log walks from its first event to its head with every hash and link intact; and every
record (items, acquisitions, tags, withdrawals, claims, claimants, places, descriptions, terms, aliases,
relations and decisions) and every item's frames and fingerprints are exactly as the newest event that
created or changed them recorded. What only an anchor (`--anchor`) or a trusted timestamp proves: that
the log itself was not rewritten wholesale (every hash recomputed) or cut short at its end.
"""

from __future__ import annotations

import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.catalogue import custody, record_state
from evidence.catalogue.models import Event, Frame, Item
from evidence.catalogue.timestamps import stored_stamps
from evidence.core.custody import ChainProblem, ChainRecord, CustodyAction, format_time
from evidence.core.progress import SILENT, Progress
from evidence.core.record_digest import EMPTY_DERIVED, Ledger, compare, parse_key
from evidence.errors import UsageError
from evidence.integrity.anchor import Anchor, check_anchor, parse_anchor, walk
from evidence.integrity.timestamps import StampCheck, check
from evidence.store.base import DERIVED
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
    anchor: Anchor | None = None
    anchor_ok: bool | None = None  # None: no anchor was given
    rederived: int | None = None  # items analysed again (`--deep`); None: not asked
    timestamps: list[StampCheck] = field(default_factory=list)  # every kept RFC 3161 token, checked

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(
    ws: Workspace,
    *,
    actor: str,
    anchor: Anchor | None = None,
    progress: Progress = SILENT,
    deep: bool = False,
    roots: Sequence[x509.Certificate] = (),
) -> VerifyReport:
    """Re-hash every object, re-walk the custody chain (and check it extends `anchor`), check every kept
    trusted timestamp (its signature too, against `roots` when given), compare the records with the
    custody events that created them, and log the result as a `verify` event. `deep` also analyses
    every analysed original again and compares (`evidence.integrity.rederive`)."""
    report = VerifyReport(anchor=anchor)
    with ws.db.read() as session:
        items = [
            (sha, size) for sha, size in session.execute(select(Item.sha256, Item.size).order_by(Item.id))
        ]
    progress.start(len(items), sum(size for _, size in items))
    known = set()
    for sha, size in items:
        known.add(sha)
        _check_object(ws, sha, size, report, progress.advance)
    _check_uncatalogued(ws, [o.sha256 for o in ws.store.iter_objects() if o.sha256 not in known], report)
    ledger = Ledger()
    with ws.db.read() as session:
        chain = walk(_noting(ledger, custody.records(session)), None if anchor is None else anchor.seq)
        for problem in chain.problems:
            report.problems.append(Problem(f"chain-{problem.kind}", f"event:{problem.seq}", problem.message))
        report.events_checked = chain.events
        report.chain_head = chain.head.hash if chain.head else None
        if anchor is not None:
            reasons = check_anchor(anchor, chain)
            report.anchor_ok = not reasons
            report.problems.extend(Problem("anchor", f"event:{anchor.seq}", r) for r in reasons)
        _check_timestamps(session, report, roots)
        _sort_record_problems(report, _compare_records(session, ledger), chain.problems)
        _check_thumbnails(ws, session, report)
    if deep:
        from evidence.integrity.rederive import rederive

        report.rederived = rederive(
            ws,
            problem=lambda kind, subject, text: report.problems.append(Problem(kind, subject, text)),
        )
    with ws.db.write() as session:
        details: dict[str, Any] = {
            "ok": report.ok,
            "objects_checked": report.objects_checked,
            "events_checked": report.events_checked,
            "problems": [f"{p.kind} {p.subject}" for p in report.problems[:100]],
            "chain_head": report.chain_head,
        }
        if report.rederived is not None:
            details["rederived"] = report.rederived
        if anchor is not None:
            details["anchor"] = {"seq": anchor.seq, "hash": anchor.hash, "ok": report.anchor_ok}
        if report.timestamps:
            details["timestamps"] = {
                "kept": len(report.timestamps),
                "verified": sum(1 for c in report.timestamps if c.ok),
                "failed": sum(1 for c in report.timestamps if c.ok is False),
            }
        custody.append(
            session, actor=actor, action=CustodyAction.VERIFY, subject="catalogue", details=details
        )
    return report


def _check_timestamps(session: Session, report: VerifyReport, roots: Sequence[x509.Certificate]) -> None:
    """Every kept token against its anchor line and the chain as it stands (`integrity.timestamps`)."""
    stamps = stored_stamps(session)
    if not stamps:
        if roots:
            report.warnings.append(
                "--tsa-ca: this catalogue keeps no trusted timestamp "
                "(take one with `evidence anchor --tsa URL`)"
            )
        return
    wanted = {s.anchor_seq for s in stamps}
    events = {
        seq: (digest, format_time(at))
        for seq, digest, at in session.execute(
            select(Event.seq, Event.hash, Event.at).where(Event.seq.in_(wanted))
        )
    }
    for stamp in stamps:
        try:
            line = parse_anchor(stamp.anchor_line)
            named: tuple[int, str, str] | None = (line.seq, line.hash, line.at)
        except UsageError:
            named = None
        checked = check(stamp, roots, named, events.get(stamp.anchor_seq))
        report.timestamps.append(checked)
        for reason in checked.reasons:
            report.problems.append(
                Problem(
                    "timestamp",
                    f"event:{stamp.event_seq}",
                    f"the timestamp from {stamp.tsa} over the anchor at event {stamp.anchor_seq}: {reason}",
                )
            )
    if not roots:
        report.warnings.append(
            f"{len(stamps)} trusted timestamp(s) checked against their anchors but not their signatures: "
            "give --tsa-ca FILE (the authorities' CA certificates) to check who vouches for them"
        )


def _noting(ledger: Ledger, records: Iterable[ChainRecord]) -> Iterator[ChainRecord]:
    for record in records:
        ledger.note(record.seq, record.subject, record.details)
        yield record


def _sort_record_problems(
    report: VerifyReport, found: Iterable[tuple[int | None, Problem]], chain: list[ChainProblem]
) -> None:
    """A record that disagrees with an event the walk already flagged is a consequence of that break:
    a warning, so that each problem is a cause."""
    flagged = {p.seq for p in chain}
    for seq, problem in found:
        if seq is not None and seq in flagged:
            report.warnings.append(f"{problem.message} (see the broken custody chain)")
        else:
            report.problems.append(problem)


def _check_uncatalogued(ws: Workspace, shas: list[str], report: VerifyReport) -> None:
    """Objects the catalogue did not list when verify began, and temp copies. A command adding files
    at the same time publishes an object a moment before it commits its record: whatever the catalogue
    lists by now is fine, and while another process holds the store's writers' lock the rest are in
    flight (a warning, re-checked by the next verify); without one they are untracked (a problem)."""
    shas = _not_catalogued(ws, shas)
    busy = ws.store.others_writing() if shas or ws.store.leftovers() else False
    if not busy:  # a writer may have committed and ended since the last look
        shas = _not_catalogued(ws, shas)
    for sha in shas:
        if busy:
            report.warnings.append(
                f"object {sha} is not catalogued yet: another evidence command that is still running "
                "may be adding it; run `evidence verify` again when it has finished"
            )
        else:
            report.problems.append(
                Problem("untracked", sha, f"object {sha} is in the store but not in the catalogue")
            )
    if not busy:
        for leftover in ws.store.leftovers():
            report.warnings.append(
                f"unfinished copy left in the store: {leftover.name} (a crash or an interrupted add)"
            )


def _not_catalogued(ws: Workspace, shas: list[str]) -> list[str]:
    if not shas:
        return []
    listed: set[str] = set()
    with ws.db.read() as session:
        for start in range(0, len(shas), 500):
            chunk = shas[start : start + 500]
            listed.update(session.scalars(select(Item.sha256).where(Item.sha256.in_(chunk))))
    return [sha for sha in shas if sha not in listed]


def _check_object(
    ws: Workspace, sha: str, size: int, report: VerifyReport, advance: Callable[[int], None]
) -> None:
    report.objects_checked += 1
    st = ws.store.state(sha)
    if st is None:
        report.problems.append(Problem("missing", sha, f"object {sha} is missing from the store"))
        return
    if not st.regular:
        report.problems.append(Problem("replaced", sha, f"object {sha} is no longer a regular file"))
        return
    if st.mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        report.warnings.append(f"object {sha} is writable (expected read-only); `chmod 444` it")
    try:
        actual = ws.store.hash_object(sha, progress=advance)
    except FileNotFoundError:
        report.problems.append(Problem("missing", sha, f"object {sha} is missing from the store"))
        return
    except OSError as exc:
        report.problems.append(Problem("unreadable", sha, f"object {sha} cannot be read: {exc.strerror}"))
        return
    report.bytes_checked += st.size
    if actual != sha or st.size != size:
        report.problems.append(
            Problem("changed", sha, f"object {sha} has changed: its bytes now hash to {actual}")
        )


def _record_name(key: str, shas: dict[int, str], ledger: Ledger) -> tuple[str, str]:
    """The subject a problem names ("tag:3"; an item by the sha256 it was preserved under, else its
    current one) and how a person calls it."""
    kind, record_id = parse_key(key)
    if kind == "item":
        preserved = ledger.first_subject.get(key, "")
        sha = preserved.removeprefix("item:") if preserved.startswith("item:") else shas.get(record_id)
        return (f"item:{sha}", f"item {record_id} ({sha})") if sha else (key, f"item {record_id}")
    return key, f"{record_state.NAMES.get(kind, kind)} {record_id}"


def _compare_records(session: Session, ledger: Ledger) -> Iterator[tuple[int | None, Problem]]:
    """Each record and each item's derived data that differs from the newest custody event that recorded
    it, that no event recorded, or that an event recorded and is gone; with that event's seq."""
    shas = {item_id: sha for item_id, sha in session.execute(select(Item.id, Item.sha256))}
    for found in compare(ledger.records, record_state.all_digests(session)):
        subject, name = _record_name(found.key, shas, ledger)
        if found.what == "unlogged":
            message = f"{name} has no custody event that recorded it (it was added around evidence)"
        elif found.what == "missing":
            message = f"{name}, recorded by custody event {found.seq}, is gone"
        else:
            message = (
                f"{name} no longer matches custody event {found.seq} that recorded its state "
                "(it was changed around evidence)"
            )
        yield found.seq, Problem(f"record-{found.what}", subject, message)
    derived = ((record_state.item_key(i), d) for i, d in record_state.all_derived(session))
    for found in compare(ledger.derived, derived, blank=EMPTY_DERIVED):
        subject, name = _record_name(found.key, shas, ledger)
        if found.what == "unlogged":
            message = f"{name} has frames or fingerprints that no analysis event recorded"
        elif found.what == "missing":
            message = f"{name}, whose analysis custody event {found.seq} recorded, is gone"
        else:
            message = (
                f"the frames or fingerprints of {name} no longer match custody event {found.seq} of its "
                "analysis (they were changed around evidence; `evidence analyze` re-derives them)"
            )
        yield found.seq, Problem(f"derived-{found.what}", subject, message)


def _check_thumbnails(ws: Workspace, session: Session, report: VerifyReport) -> None:
    """Re-hash the keyframe thumbnails the frames name (small JPEGs in the derived store)."""
    names = session.scalars(select(Frame.thumbnail).where(Frame.thumbnail.is_not(None)).distinct())
    for sha in sorted(n for n in names if n):
        try:
            actual = ws.store.hash_object(sha, area="derived")
        except FileNotFoundError:
            report.problems.append(Problem("missing", sha, f"thumbnail {sha} is missing from the store"))
            continue
        except OSError as exc:
            report.problems.append(Problem("unreadable", sha, f"thumbnail {sha} cannot be read: {exc}"))
            continue
        held = ws.store.state(sha, DERIVED)
        if actual != sha or held is None or not held.regular:
            report.problems.append(
                Problem("changed", sha, f"thumbnail {sha} has changed: its bytes now hash to {actual}")
            )
