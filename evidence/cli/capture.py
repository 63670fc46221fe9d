"""`evidence capture URL…`: take a link's page, screenshot, metadata and media into the catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from evidence.analysis.worker import Worker
from evidence.cli.annotation.cases import check_case, put_in_case
from evidence.cli.app import app, state
from evidence.cli.output import emit_json, known_json, known_line, match_json, match_line, message
from evidence.core.text import one_line, printable
from evidence.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from evidence.ingest.add import FileResult
    from evidence.ingest.capture import CaptureResult

GIB = 1 << 30


@app.command()
def capture(
    ctx: typer.Context,
    urls: list[str] = typer.Argument(None, help="Links to capture (http and https only)."),
    from_file: Path | None = typer.Option(
        None, "--from", help="A file of links, one a line (blank lines and lines starting with # skipped)."
    ),
    collected_by: str | None = typer.Option(None, "--collected-by", help="Who collected it."),
    note: str | None = typer.Option(None, "--note", help="A note kept with each capture."),
    no_screenshot: bool = typer.Option(
        False, "--no-screenshot", help="Do not take a screenshot of the page."
    ),
    max_bytes: int = typer.Option(
        4 * GIB, "--max-bytes", min=1, help="Largest page or media file taken, in bytes."
    ),
    timeout: float = typer.Option(30.0, "--timeout", min=1, max=3600, help="Seconds to wait for a server."),
    no_analysis: bool = typer.Option(False, "--no-analysis", help="Preserve only; analyse later."),
    no_match: bool = typer.Option(
        False, "--no-match", help="Do not look the media up among catalogued items."
    ),
    case: str | None = typer.Option(None, "--case", help="Put what is captured in this case (id or name)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Capture links: the page as served (WARC packed as WACZ), a full-height screenshot (headless
    Chromium, when one is found), the platform's metadata and every media file of the post (yt-dlp),
    each preserved as an item, with the media analysed and matched as `add` does."""
    from evidence.analysis.queue import from_environment
    from evidence.ingest.capture import CaptureOptions, capture_urls, check_urls
    from evidence.ingest.web.gather import Limits
    from evidence.workspace import default_actor, open_workspace

    links = list(urls or []) + (_read_links(from_file) if from_file else [])
    if not links:
        raise UsageError("give at least one link, or --from FILE with one link a line")
    check_urls(links)  # a link that is not http(s) refuses the run before any request
    if case is not None:
        check_case(ctx, case)  # and so does an unknown case
    queue = from_environment(analyse=not no_analysis)  # an unreachable queue: exit 4, nothing written
    options = CaptureOptions(
        queue=queue,
        collected_by=collected_by,
        note=note,
        limits=Limits(timeout=timeout, max_bytes=max_bytes, screenshot=not no_screenshot),
        analyse=not no_analysis,
        match=not no_match,
        actor=default_actor(),
    )
    worker = Worker()
    with worker, open_workspace(state(ctx).catalogue) as ws:
        if not no_analysis and queue is None:
            worker.start()
        results = capture_urls(ws, links, options, worker=worker)
    if case is not None:
        put_in_case(ctx, case, captured_items(results))
    for line in problem_lines(results, screenshots=not no_screenshot):
        message(line)
    if json_out:
        emit_json({"captures": [capture_json(r) for r in results]})
    else:
        print_captures(results)
    code = exit_code(results)
    if code:
        raise typer.Exit(code)


def problem_lines(results: list[CaptureResult], *, screenshots: bool = True) -> list[str]:
    """One line for stderr per link that gave no media, or gave it with a problem or no screenshot."""
    lines = []
    for r in results:
        if r.failed:
            lines.append(f"capture of {printable(r.url)} failed: {one_line(r.problem or str(r.outcome))}")
        elif r.problem:
            lines.append(f"capture of {printable(r.url)}: {one_line(r.problem)}")
        if r.screenshot_note and screenshots and r.page is not None:
            lines.append(f"capture of {printable(r.url)}: {r.screenshot_note}")
    return lines


def captured_items(results: list[CaptureResult]) -> list[int]:
    """Every item the captures preserved: media, page, screenshot and metadata."""
    files = [f for r in results for f in (r.page, r.screenshot, r.metadata, *r.media) if f is not None]
    return [f.id for f in files if f.id is not None]


def exit_code(results: list[CaptureResult]) -> int:
    """2 if a link gave no media (HTTP error, no media, over the limit), else 4 if a server could not
    be reached, else 3 if an analysis is incomplete, else 0."""
    if any(r.failed and not r.unreachable for r in results):
        return int(ExitCode.USAGE)
    if any(r.unreachable for r in results):
        return int(ExitCode.ENVIRONMENT)
    if any((m.analysis or "").startswith("failed") for r in results for m in r.media):
        return int(ExitCode.ANALYSIS_INCOMPLETE)
    return int(ExitCode.OK)


def _read_links(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--from {printable(str(path))}: {getattr(exc, 'strerror', None) or exc}") from None
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _file(r: FileResult | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return {
        "path": r.path,
        "id": r.id,
        "sha256": r.sha256,
        "status": r.status,
        "kind": r.kind,
        "size": r.size,
        "analysis": r.analysis,
        "acquisition_id": r.acquisition_id,
        "near_duplicates": [match_json(f) for f in r.near_duplicates],
        "known": [known_json(k) for k in r.known],
    }


def capture_json(r: CaptureResult) -> dict[str, Any]:
    return {
        "url": r.url,
        "capture_id": r.capture_id,
        "outcome": str(r.outcome),
        "http_status": r.http_status,
        "final_url": r.final_url,
        "problem": r.problem,
        "screenshot_note": r.screenshot_note,
        "page": _file(r.page),
        "screenshot": _file(r.screenshot),
        "metadata": _file(r.metadata),
        "media": [_file(m) for m in r.media],
    }


def print_captures(results: list[CaptureResult]) -> None:
    for r in results:
        status = f"HTTP {r.http_status}" if r.http_status is not None else "no answer"
        where = f" -> {printable(r.final_url)}" if r.final_url and r.final_url != r.url else ""
        typer.echo(f"capture {r.capture_id}  {r.outcome}  {status}  {printable(r.url)}{where}")
        for label, one in (("page", r.page), ("screenshot", r.screenshot), ("metadata", r.metadata)):
            if one is not None:
                typer.echo(
                    f"  {label:<10} {one.status:<9} {one.id:>5}  {(one.sha256 or '')[:12]}  {one.path}"
                )
        for m in r.media:
            analysis = "" if m.analysis in (None, "ok") else f"  analysis {m.analysis}"
            typer.echo(
                f"  {'media':<10} {m.status:<9} {m.id:>5}  {(m.sha256 or '')[:12]}  {m.kind or '':<6} "
                f"{m.path}{analysis}"
            )
            for found in m.near_duplicates:
                typer.echo(f"  {'':<10} {'':<9} {'':>5}  {match_line(found)}")
            for hit in m.known:
                typer.echo(f"  {'':<10} {'':<9} {'':>5}  {known_line(hit)}")
    media = sum(len(r.media) for r in results)
    failed = sum(1 for r in results if r.failed)
    message(
        f"{len(results)} link(s) captured: {len(results) - failed} with media, {failed} without; "
        f"{media} media file(s)"
    )
