"""Use case: `evidence capture URL…` — take a link's page (WACZ), screenshot, metadata and media into
the catalogue, each an item, linked by one `capture` record; then analyse and match the media as `add`
does. Everything is gathered into a scratch folder first; the catalogue is written in one transaction."""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evidence import faults
from evidence.analysis.options import AnalysisOptions
from evidence.analysis.queue import JobQueue
from evidence.analysis.worker import Worker
from evidence.catalogue import custody
from evidence.catalogue.capture_models import Capture, CaptureMedia
from evidence.core.custody import CustodyAction
from evidence.core.names import CaptureOutcome
from evidence.core.text import printable
from evidence.core.timeutil import Instant
from evidence.errors import EvidenceError, InputRefused
from evidence.ingest.add import AddOptions, AddStatus, FileResult, set_aside, with_analysis, with_known
from evidence.ingest.analyze import analyse_and_match
from evidence.ingest.record import Origin, record_in
from evidence.ingest.web.gather import Gathered, Limits, Taken, gather
from evidence.ingest.web.urls import check_url
from evidence.store.base import Stored
from evidence.store.files import environment_error
from evidence.workspace import Workspace, tool_version


@dataclass(frozen=True)
class CaptureOptions:
    collected_by: str | None = None
    note: str | None = None
    limits: Limits = field(default_factory=Limits)
    analyse: bool = True
    match: bool = True
    actor: str = "unknown"
    # what an analyst knows of the post, over what the platform says (a row of `add --manifest`)
    source_url: str | None = None
    posted_at: Instant | None = None
    claimed_by: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # added to each acquire event
    queue: JobQueue | None = None  # hand analysis and lookup to `evidence worker` (EVIDENCE_QUEUE_URL)


@dataclass
class CaptureResult:
    url: str
    outcome: CaptureOutcome
    capture_id: int | None = None
    http_status: int | None = None
    final_url: str | None = None
    problem: str | None = None
    screenshot_note: str | None = None
    page: FileResult | None = None  # the WACZ
    screenshot: FileResult | None = None
    metadata: FileResult | None = None
    media: list[FileResult] = field(default_factory=list)

    @property
    def unreachable(self) -> bool:
        return self.outcome is CaptureOutcome.UNREACHABLE

    @property
    def failed(self) -> bool:
        return self.outcome is not CaptureOutcome.CAPTURED


def options_of_row(own: AddOptions, options: AddOptions) -> CaptureOptions:
    """A manifest's link row as a capture's options: the row's source URL, posted-at and claimed-by
    take the place of what the platform says; the row itself goes into each acquire event."""
    return CaptureOptions(
        collected_by=own.collected_by,
        note=own.note,
        analyse=options.analyse,
        match=options.match,
        actor=options.actor,
        queue=options.queue,
        source_url=own.source_url,
        posted_at=own.posted_at,
        claimed_by=own.claimed_by,
        extra={"manifest": own.manifest} if own.manifest else {},
    )


def check_urls(urls: list[str]) -> list[str]:
    """Every link checked before any request: a link that is not http(s) refuses the whole run."""
    return [check_url(url) for url in urls]


def capture_urls(
    ws: Workspace,
    urls: list[str],
    options: CaptureOptions,
    *,
    worker: Worker,
    stage: Callable[[str], None] = lambda _: None,
) -> list[CaptureResult]:
    results = []
    for url in check_urls(urls):
        stage(f"capturing {printable(url)}")
        with tempfile.TemporaryDirectory(prefix="evidence-capture-") as scratch:
            remux = functools.partial(_remux, worker, options.limits.timeout)
            got = gather(url, Path(scratch), options.limits, tool=tool_version(), remux=remux)
            result = _record(ws, got, options)
        if options.analyse:
            result.media = [_analysed(ws, worker, r, options, stage) for r in result.media]
            # the page, screenshot and metadata are probed too (nothing is `pending` after a capture),
            # but not looked up among the footage
            result.page, result.screenshot, result.metadata = (
                None if kept is None else _analysed(ws, worker, kept, options, stage, match=False)
                for kept in (result.page, result.screenshot, result.metadata)
            )
        results.append(result)
    return results


def _remux(worker: Worker, timeout: float, inputs: list[Path], stem: Path) -> Path:
    """A platform's separate picture and sound put together without re-encoding, in the worker."""
    from evidence.analysis import jobs

    return jobs.remux(worker, inputs, stem, timeout=max(600.0, timeout))


def _analysed(
    ws: Workspace,
    worker: Worker,
    result: FileResult,
    options: CaptureOptions,
    stage: Callable[[str], None],
    *,
    match: bool = True,
) -> FileResult:
    known = match and options.match and options.queue is None  # partners' lists, for copies too
    if result.id is None or result.status != AddStatus.ADDED:
        return with_known(ws, result) if known and result.id is not None else result
    stage(f"analysing {result.path}")
    outcome, found = analyse_and_match(
        ws,
        worker,
        result.id,
        actor=options.actor,
        options=AnalysisOptions(),
        match=match and options.match,
        matching=functools.partial(stage, f"matching {result.path}"),
        queue=options.queue,
    )
    result = with_analysis(result, outcome.status, outcome.kind, found)
    return with_known(ws, result) if known else result


def _record(ws: Workspace, got: Gathered, options: CaptureOptions) -> CaptureResult:
    """Store every file taken, then one transaction: items, acquisitions, the capture and its events."""
    page = got.page
    result = CaptureResult(
        url=got.url,
        outcome=got.outcome,
        http_status=page.status if page else None,
        final_url=page.final_url if page else None,
        problem=got.problem,
        screenshot_note=got.screenshot_note,
    )
    files = [t for t in (got.wacz, got.shot, got.metadata) if t is not None] + got.media
    stored: dict[int, Stored] = {}
    published: list[Stored] = []
    try:
        for taken in files:
            try:
                stored[id(taken)] = ws.store.put_file(taken.path)
            except InputRefused as refusal:  # an empty download: said, not stored
                got.problems.append(refusal.message)
                continue
            published.append(stored[id(taken)])
        with ws.db.write() as session:

            def keep(taken: Taken | None, *, media: bool) -> tuple[FileResult, int, int] | None:
                if taken is None or id(taken) not in stored:
                    return None
                origin = Origin(
                    name=taken.name,
                    path=taken.url,
                    source_url=options.source_url or got.url,
                    posted_at=(options.posted_at or got.posted_at) if media else None,
                    claimed_by=(options.claimed_by or got.uploader) if media else None,
                    collected_by=options.collected_by,
                    note=options.note,
                )
                item, acquisition, new = record_in(
                    session,
                    ws,
                    stored[id(taken)],
                    origin,
                    actor=options.actor,
                    captured=got.captured_at,
                    extra={"captured_from": got.url, **options.extra},
                )
                shown = FileResult.recorded(printable(taken.name), item, acquisition.id, new=new)
                return shown, item.id, acquisition.id

            wacz, shot, meta = (keep(t, media=False) for t in (got.wacz, got.shot, got.metadata))
            media = [(t, kept) for t in got.media if (kept := keep(t, media=True)) is not None]
            capture = Capture(
                url=got.url,
                final_url=page.final_url if page else None,
                http_status=page.status if page else None,
                outcome=str(got.outcome),
                problem=got.problem,
                platform=got.platform,
                headers=[list(h) for h in page.headers] if page else None,
                captured_at=got.captured_at,
                collected_by=options.collected_by,
                note=options.note,
                tool_version=tool_version(),
                page_item_id=wacz[1] if wacz else None,
                screenshot_item_id=shot[1] if shot else None,
                metadata_item_id=meta[1] if meta else None,
            )
            session.add(capture)
            session.flush()
            links = []
            for taken, (_, item_id, acquisition_id) in media:
                link = CaptureMedia(
                    capture_id=capture.id, item_id=item_id, acquisition_id=acquisition_id, media_url=taken.url
                )
                session.add(link)
                session.flush()
                links.append(link.id)
            custody.append(
                session,
                actor=options.actor,
                action=CustodyAction.CAPTURE,
                subject=f"capture:{capture.id}",
                details={
                    "url": got.url,
                    "final_url": capture.final_url,
                    "http_status": capture.http_status,
                    "outcome": capture.outcome,
                    "problem": capture.problem,
                    "media": [kept[1] for _, kept in media],
                },
                records=[("capture", capture.id), *(("capture_media", i) for i in links)],
            )
            faults.checkpoint("commit")
            result.capture_id = capture.id
            result.page, result.screenshot, result.metadata = (
                k[0] if k else None for k in (wacz, shot, meta)
            )
            result.media = [kept[0] for _, kept in media]
            result.problem = got.problem
    except EvidenceError as exc:
        exc.message = f"{exc.message}; {_set_aside_new(ws, published)}"
        exc.args = (exc.message,)
        raise
    except OSError as exc:
        failure = environment_error(exc, "recording the capture in the catalogue")
        failure.message = f"{failure.message}; {_set_aside_new(ws, published)}"
        failure.args = (failure.message,)
        raise failure from exc
    return result


def _set_aside_new(ws: Workspace, published: list[Stored]) -> str:
    """After a failed commit, the files this capture stored and nothing records are moved to
    store/orphans/ (as `add` does); returns what was done, for the error message."""
    said = [set_aside(ws, one.sha256) for one in published if not one.existed]
    if not said:
        return "nothing was recorded"
    if len(said) == 1:
        return said[0]
    moved = sum(1 for s in said if s.startswith("nothing was recorded"))
    return (
        f"nothing was recorded; of the {len(said)} files it stored, {moved} were moved to store/orphans/ "
        "(`evidence fsck` counts them there): capture the link again once this is fixed"
    )
