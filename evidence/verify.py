"""Use case: `evidence verify` — re-hash every object, re-walk the custody chain, log a fixity event."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from evidence.anchor import Anchor, check_anchor, walk
from evidence.catalogue import custody
from evidence.catalogue.annotation_models import Annotation, Claim, Claimant, ClaimItem, Description, Place
from evidence.catalogue.models import Acquisition, Item
from evidence.core.custody import ChainProblem, ChainRecord
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

    @property
    def ok(self) -> bool:
        return not self.problems


StartFn = Callable[[int], None]
AdvanceFn = Callable[[int], None]


def verify(
    ws: Workspace,
    *,
    actor: str,
    anchor: Anchor | None = None,
    start: StartFn | None = None,
    advance: AdvanceFn | None = None,
) -> VerifyReport:
    """Re-hash every object, re-walk the custody chain (and check it extends `anchor`), compare the
    records with the custody events that created them, and log the result as a `verify` event."""
    report = VerifyReport(anchor=anchor)
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
    _check_uncatalogued(ws, [o.sha256 for o in ws.store.iter_objects() if o.sha256 not in known], report)
    expected = _Expected()
    with ws.db.read() as session:
        chain = walk(expected.collect(custody.records(session)), None if anchor is None else anchor.seq)
        for problem in chain.problems:
            report.problems.append(Problem(f"chain-{problem.kind}", f"event:{problem.seq}", problem.message))
        report.events_checked = chain.events
        report.chain_head = chain.head.hash if chain.head else None
        if anchor is not None:
            reasons = check_anchor(anchor, chain)
            report.anchor_ok = not reasons
            report.problems.extend(Problem("anchor", f"event:{anchor.seq}", r) for r in reasons)
        _sort_record_problems(report, _compare_records(session, expected), chain.problems)
    with ws.db.write() as session:
        details: dict[str, Any] = {
            "ok": report.ok,
            "objects_checked": report.objects_checked,
            "events_checked": report.events_checked,
            "problems": [f"{p.kind} {p.subject}" for p in report.problems[:100]],
            "chain_head": report.chain_head,
        }
        if anchor is not None:
            details["anchor"] = {"seq": anchor.seq, "hash": anchor.hash, "ok": report.anchor_ok}
        custody.append(session, actor=actor, action="verify", subject="catalogue", details=details)
    return report


def _sort_record_problems(
    report: VerifyReport, found: Iterable[tuple[int | None, Problem]], chain: list[ChainProblem]
) -> None:
    """A record that disagrees with an event the walk already flagged is a consequence of that break,
    and a record no event created (inserted around the tool, or by a tool that did not log it) proves
    nothing about the history: both are warnings, so that each problem is a cause."""
    flagged = {p.seq for p in chain}
    for seq, problem in found:
        if problem.kind == "record-unlogged":
            report.warnings.append(f"{problem.message} (it was added around evidence)")
        elif seq is not None and seq in flagged:
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


# The chain covers events, not rows: the event that created a record carries its content, so a row
# edited, deleted or inserted directly in the database shows as a difference from its event.
_ACQUIRE = ("original_path", "source_url", "claimed_by", "collected_by", "note", "posted_at")
_TAG = ("note", "confidence", "source", "box", "t_start", "t_end")
_CLAIM = {"statement": "text", "claimant": "claimant", "place": "place", "url": "url"}
_CLAIM_MORE = ("language", "counters", "items")
_DESCRIBE = ("source", "note", "claim")

RowKey = tuple[str, int]  # ("tag", 3)


@dataclass
class _Expected:
    """What the custody events say the records hold, gathered while the chain is walked."""

    items: dict[str, tuple[int, int | None]] = field(default_factory=dict)  # sha256 -> (seq, size)
    rows: dict[RowKey, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    withdrawn: dict[int, tuple[int, str | None]] = field(default_factory=dict)  # tag -> (seq, note)

    def collect(self, records: Iterable[ChainRecord]) -> Iterator[ChainRecord]:
        for record in records:
            # a malformed event is reported by the walk, or was written by another version
            with contextlib.suppress(KeyError, TypeError, ValueError, IndexError):
                self._note(record)
            yield record

    def _note(self, r: ChainRecord) -> None:
        d, seq = r.details, r.seq
        if r.action == "preserve":
            self.items[str(d["sha256"])] = (seq, d.get("size"))
        elif r.action == "acquire":
            fields = {k: d[k] for k in _ACQUIRE if k in d}
            if fields.get("posted_at"):
                fields["posted_at"] = datetime.fromisoformat(fields["posted_at"])
            self.rows[("acquisition", int(d["acquisition"]))] = (seq, {"item": r.subject, **fields})
        elif r.action == "tag":
            fields = {k: d[k] for k in _TAG if k in d}
            if "range" in d:
                span = d["range"] or [d.get("t"), None]
                fields["t_start"], fields["t_end"] = span[0], span[1]
            self.rows[("tag", int(d["tag"]))] = (seq, {"item": r.subject, "annotator": r.actor, **fields})
        elif r.action == "untag":
            self.withdrawn[int(d["tag"])] = (seq, d.get("note"))
        elif r.action == "claim":
            fields = {k: d[v] for k, v in _CLAIM.items() if v in d}
            fields.update({k: d[k] for k in _CLAIM_MORE if k in d})
            if "items" in fields:
                fields["items"] = sorted(fields["items"])
            self.rows[("claim", int(d["claim"]))] = (seq, fields)
        elif r.action == "describe":
            fields = {k: d[k] for k in _DESCRIBE if k in d}
            self.rows[("description", int(d["description"]))] = (seq, {"item": r.subject, **fields})


def _actual_rows(session: Session) -> Iterator[tuple[RowKey, dict[str, Any]]]:
    for acq, sha in session.execute(select(Acquisition, Item.sha256).join(Item)):
        yield ("acquisition", acq.id), {"item": f"item:{sha}", **{k: getattr(acq, k) for k in _ACQUIRE}}
    for tag, sha in session.execute(select(Annotation, Item.sha256).join(Item)):
        box = None
        if tag.box_x is not None:
            box = {"x": tag.box_x, "y": tag.box_y, "w": tag.box_w, "h": tag.box_h}
        yield (
            ("tag", tag.id),
            {
                "item": f"item:{sha}",
                "annotator": tag.annotator,
                **{k: getattr(tag, k) for k in _TAG if k != "box"},
                "box": box,
                "withdrawn": tag.withdrawn_at is not None,
                "withdrawn_note": tag.withdrawn_note,
            },
        )
    place = aliased(Place)
    items: dict[int, list[str]] = {}
    for claim_id, sha in session.execute(select(ClaimItem.claim_id, Item.sha256).join(Item)):
        items.setdefault(claim_id, []).append(sha)
    query = select(Claim, Claimant.name, place.name).join(Claimant).outerjoin(place)
    for claim, claimant, place_name in session.execute(query):
        yield (
            ("claim", claim.id),
            {
                "statement": claim.statement,
                "claimant": claimant,
                "place": place_name,
                "url": claim.url,
                "language": claim.language,
                "counters": claim.counters_id,
                "items": sorted(items.get(claim.id, [])),
            },
        )
    for desc, sha in session.execute(select(Description, Item.sha256).join(Item)):
        yield (
            ("description", desc.id),
            {
                "item": f"item:{sha}",
                "source": desc.source,
                "note": desc.note,
                "claim": desc.claim_id,
            },
        )


def _compare_records(session: Session, expected: _Expected) -> Iterator[tuple[int | None, Problem]]:
    """Each record that differs from, lacks or outlived its creating event, with that event's seq."""
    for sha, size in session.execute(select(Item.sha256, Item.size)):
        logged = expected.items.pop(sha, None)
        if logged is None:
            yield (
                None,
                Problem(
                    "record-unlogged", f"item:{sha}", f"item {sha} has no custody event that preserved it"
                ),
            )
        elif logged[1] is not None and logged[1] != size:
            yield (
                logged[0],
                Problem(
                    "record-edited",
                    f"item:{sha}",
                    f"item {sha} no longer matches custody event {logged[0]} (size)",
                ),
            )
    for sha, (seq, _size) in expected.items.items():
        yield (
            seq,
            Problem(
                "record-missing", f"item:{sha}", f"item {sha}, preserved by custody event {seq}, is gone"
            ),
        )
    withdrawn = dict(expected.withdrawn)
    for key, actual in _actual_rows(session):
        kind, row_id = key
        subject = f"{kind}:{row_id}"
        logged_row = expected.rows.pop(key, None)
        if logged_row is None:
            yield (
                None,
                Problem("record-unlogged", subject, f"{kind} {row_id} has no custody event that created it"),
            )
            continue
        seq, fields = logged_row
        changed = [k for k, v in fields.items() if actual.get(k) != v]
        if kind == "tag":
            untag = withdrawn.pop(row_id, None)
            if (untag is not None) != actual["withdrawn"]:
                changed.append("withdrawn")
            elif untag is not None and untag[1] != actual["withdrawn_note"]:
                changed.append("withdrawn note")
        if changed:
            yield (
                seq,
                Problem(
                    "record-edited",
                    subject,
                    f"{kind} {row_id} no longer matches custody event {seq} that recorded it "
                    f"({', '.join(changed)} changed)",
                ),
            )
    for (kind, row_id), (seq, _fields) in expected.rows.items():
        yield (
            seq,
            Problem(
                "record-missing",
                f"{kind}:{row_id}",
                f"{kind} {row_id}, recorded by custody event {seq}, is gone",
            ),
        )
