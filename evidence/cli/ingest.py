"""`evidence add` and `evidence analyze`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from evidence.analysis.worker import Worker
from evidence.cli.annotation.cases import check_case, put_in_case
from evidence.cli.app import app, state
from evidence.cli.capture import capture_json, captured_items, print_captures
from evidence.cli.capture import exit_code as capture_exit_code
from evidence.cli.capture import problem_lines as capture_problems
from evidence.cli.output import (
    BarProgress,
    emit_json,
    known_json,
    known_line,
    match_json,
    match_line,
    message,
)
from evidence.core.text import one_line, printable
from evidence.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from evidence.analysis.queue import JobQueue
    from evidence.ingest.add import FileResult

LARGE = 64 << 20


def exit_code_for(statuses: list[str], analyses: list[str | None]) -> int:
    """2 if any path was refused, else 3 if any analysis failed, else 0 (pending after --quick or
    --no-analysis is what was asked for)."""
    from evidence.ingest.add import AddStatus

    if any(s == AddStatus.FAILED for s in statuses):
        return int(ExitCode.USAGE)
    if any(a is not None and a.startswith("failed") for a in analyses):
        return int(ExitCode.ANALYSIS_INCOMPLETE)
    return int(ExitCode.OK)


def problem_lines(results: list[FileResult]) -> list[str]:
    """One line for stderr per problem, in --json mode too: each refused path, each preserved file
    whose analysis failed (with what to do next)."""
    from evidence.ingest.add import AddStatus

    lines: list[str] = []
    for r in results:
        if r.status == AddStatus.FAILED:
            lines.append(f"refused {r.error}")
        elif r.analysis is not None and r.analysis.startswith("failed"):
            reason = one_line(r.analysis.removeprefix("failed:"))
            lines.append(
                f"analysis incomplete for {r.path}: {reason} "
                f"(preserved as #{r.id}; `evidence analyze {r.id}` retries)"
            )
        if r.credentials_problem:
            lines.append(f"warning: {r.path}: {one_line(r.credentials_problem)} (preserved as #{r.id})")
    return lines


@app.command()
def add(
    ctx: typer.Context,
    paths: list[str] | None = typer.Argument(
        None, metavar="PATH", help="Files or folders (folders are walked recursively, sorted)."
    ),
    manifest: Path | None = typer.Option(
        None,
        "--manifest",
        help="A CSV or JSON-lines file: one row per file, each with its own source URL, posted-at… "
        "(an `export --table acquisitions` CSV reads back as it is).",
    ),
    source_url: str | None = typer.Option(None, "--source-url", help="Where the file was found."),
    posted_at: str | None = typer.Option(
        None, "--posted-at", help="When the source says it was posted (ISO-8601 with timezone, or a date)."
    ),
    claimed_by: str | None = typer.Option(
        None, "--claimed-by", help="Who the source says made or posted it."
    ),
    collected_by: str | None = typer.Option(None, "--collected-by", help="Who collected it."),
    note: str | None = typer.Option(None, "--note", help="A note kept with this acquisition."),
    include_hidden: bool = typer.Option(False, "--hidden", help="Also add hidden files in folders."),
    no_analysis: bool = typer.Option(False, "--no-analysis", help="Preserve only; analyse later."),
    no_match: bool = typer.Option(
        False, "--no-match", help="Do not look new items up among catalogued ones."
    ),
    quick: bool = typer.Option(
        False,
        "--quick",
        help="Key frames only, for a fast first look; full analysis later with analyze --pending.",
    ),
    case: str | None = typer.Option(None, "--case", help="Put the added items in this case (id or name)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Preserve files exactly (SHA-256, read-only store, custody log), then probe them."""
    _check_what_to_add(
        paths or [],
        manifest,
        {
            "--source-url": source_url,
            "--posted-at": posted_at,
            "--claimed-by": claimed_by,
            "--collected-by": collected_by,
            "--note": note,
        },
    )
    if case is not None:
        check_case(ctx, case)  # an unknown case is refused before anything is preserved
    from evidence.analysis.queue import from_environment

    queue = from_environment(analyse=not no_analysis)  # an unreachable queue: exit 4, nothing written
    worker = Worker()
    if not no_analysis and queue is None:
        worker.start()  # a fresh interpreter warms up while this one loads the catalogue code
    with worker:
        _add(
            ctx,
            worker,
            queue,
            paths or [],
            source_url,
            posted_at,
            claimed_by,
            collected_by,
            note,
            include_hidden,
            no_analysis,
            no_match,
            quick,
            json_out,
            case,
            manifest,
        )


def _check_what_to_add(paths: list[str], manifest: Path | None, details: dict[str, str | None]) -> None:
    """PATH… or --manifest, and a manifest's rows give the details the options would."""
    if manifest is None:
        if not paths:
            raise UsageError("say what to add: PATH… (files or folders), or --manifest FILE")
        return
    if paths:
        raise UsageError("--manifest names the files to add: leave out PATH…")
    given = [option for option, value in details.items() if value is not None]
    if given:
        raise UsageError(
            f"--manifest gives each file its own details: leave out {', '.join(given)} "
            "(put them in the manifest's columns)"
        )


def _add(
    ctx: typer.Context,
    worker: Worker,
    queue: JobQueue | None,
    paths: Sequence[Path | str],
    source_url: str | None,
    posted_at: str | None,
    claimed_by: str | None,
    collected_by: str | None,
    note: str | None,
    include_hidden: bool,
    no_analysis: bool,
    no_match: bool,
    quick: bool,
    json_out: bool,
    case: str | None = None,
    manifest: Path | None = None,
) -> None:
    from evidence.core.timeutil import parse_instant
    from evidence.ingest.add import AddOptions, AddReport, AddStatus, add_paths
    from evidence.ingest.manifest import ManifestReport, add_manifest
    from evidence.workspace import default_actor, open_workspace

    try:
        instant = parse_instant(posted_at) if posted_at else None
    except ValueError as exc:
        raise UsageError(f"--posted-at: {exc}") from None
    options = AddOptions(
        source_url=source_url,
        posted_at=instant,
        claimed_by=claimed_by,
        collected_by=collected_by,
        note=note,
        include_hidden=include_hidden,
        analyse=not no_analysis,
        quick=quick,
        match=not no_match,
        actor=default_actor(),
        queue=queue,
    )
    report: AddReport
    with open_workspace(state(ctx).catalogue) as ws, BarProgress("preserving", min_bytes=LARGE) as progress:
        if manifest is not None:
            report = add_manifest(ws, manifest, options, progress, worker=worker)
        else:
            report = add_paths(ws, paths, options, progress, worker=worker)
    captures = report.captures if isinstance(report, ManifestReport) else []
    if case is not None:
        put_in_case(ctx, case, [r.id for r in report.results if r.id is not None] + captured_items(captures))
    for skip in report.skipped:
        message(f"skipped {skip.path}: {skip.reason}")
    results = report.results
    for line in problem_lines(results) + capture_problems(captures):
        message(line)
    if json_out:
        emit_json(
            {
                "results": [
                    {
                        "path": r.path,
                        "id": r.id,
                        "sha256": r.sha256,
                        "status": r.status,
                        "near_duplicates": [match_json(f) for f in r.near_duplicates],
                        "known": [known_json(k) for k in r.known],
                        "analysis": r.analysis,
                        "kind": r.kind,
                        "size": r.size,
                        "acquisition_id": r.acquisition_id,
                        "error": r.error,
                    }
                    for r in results
                ],
                "skipped": [{"path": s.path, "reason": s.reason} for s in report.skipped],
                "captures": [capture_json(c) for c in captures],
            }
        )
    else:
        for r in results:
            if r.status == AddStatus.FAILED:
                continue
            analysis = "" if r.analysis in (None, "ok") else f"  analysis {r.analysis}"
            typer.echo(
                f"{r.status:<9} {r.id:>5}  {(r.sha256 or '')[:12]}  {r.kind or '':<6} {r.path}{analysis}"
            )
            for found in r.near_duplicates:
                typer.echo(f"{'':<9} {'':>5}  {match_line(found)}")
            for hit in r.known:
                typer.echo(f"{'':<9} {'':>5}  {known_line(hit)}")
        counts = {s: sum(1 for r in results if r.status == s) for s in AddStatus}
        added, duplicate, failed = (
            counts[s] for s in (AddStatus.ADDED, AddStatus.DUPLICATE, AddStatus.FAILED)
        )
        copies = sum(1 for r in results if r.near_duplicates)
        near = f", {copies} with copies already catalogued" if copies else ""
        listed = sum(1 for r in results if r.known)
        near += f", {listed} on a partner's hash list" if listed else ""
        message(f"{added} added, {duplicate} duplicate, {failed} refused{near}")
        if queue is not None and added:
            message(f"{added} queued for analysis (`evidence jobs` shows them)")
        if captures:
            print_captures(captures)
    code = exit_code_for([r.status for r in results], [r.analysis for r in results])
    if captures:
        code = _worst(code, capture_exit_code(captures))
    if code:
        raise typer.Exit(code)


def _worst(*codes: int) -> int:
    """The exit code that says most: refused (2), then unreachable (4), then analysis incomplete (3)."""
    for code in (ExitCode.USAGE, ExitCode.ENVIRONMENT, ExitCode.ANALYSIS_INCOMPLETE):
        if int(code) in codes:
            return int(code)
    return int(ExitCode.OK)


@app.command()
def analyze(
    ctx: typer.Context,
    refs: list[str] = typer.Argument(None, help="Items to analyse (id or sha256 prefix)."),
    pending: bool = typer.Option(False, "--pending", help="Every item whose analysis is pending."),
    failed: bool = typer.Option(False, "--failed", help="Every item whose analysis failed."),
    everything: bool = typer.Option(False, "--all", help="Every item."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """(Re-)run analysis on items; idempotent."""
    from evidence.ingest.analyze import analyze_items
    from evidence.workspace import default_actor, open_workspace

    if not (refs or pending or failed or everything):
        raise UsageError("say which items: REF…, --pending, --failed or --all")
    with open_workspace(state(ctx).catalogue) as ws:
        outcomes = analyze_items(
            ws, refs or [], pending=pending, failed=failed, everything=everything, actor=default_actor()
        )
    if json_out:
        emit_json(
            {"results": [{"id": o.item_id, "sha256": o.sha256, "analysis": str(o.status)} for o in outcomes]}
        )
    else:
        for o in outcomes:
            typer.echo(f"{o.item_id:>5}  {o.sha256[:12]}  {o.status}")
        message(f"{len(outcomes)} analysed")
    if any(str(o.status).startswith("failed") for o in outcomes):
        raise typer.Exit(int(ExitCode.ANALYSIS_INCOMPLETE))


acquisition_app = typer.Typer(
    help="Correct what was recorded about where a file came from.", no_args_is_help=True
)
app.add_typer(acquisition_app, name="acquisition")


@acquisition_app.command("correct")
def acquisition_correct(
    ctx: typer.Context,
    acquisition_id: int = typer.Argument(..., help="The acquisition's id (`evidence show REF`)."),
    reason: str = typer.Option(..., "--reason", help="Why the correction (kept with the old record)."),
    source_url: str | None = typer.Option(
        None, "--source-url", help='Where the file was found ("" clears it).'
    ),
    posted_at: str | None = typer.Option(None, "--posted-at", help="When the source says it was posted."),
    no_posted_at: bool = typer.Option(False, "--no-posted-at", help="Remove the posted-at time."),
    claimed_by: str | None = typer.Option(
        None, "--claimed-by", help="Who the source says made or posted it."
    ),
    collected_by: str | None = typer.Option(None, "--collected-by", help="Who collected it."),
    note: str | None = typer.Option(None, "--note", help="The acquisition's note."),
    by: str | None = typer.Option(None, "--by", help="Who makes the correction (default: you)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Correct an acquisition: it is withdrawn and kept as it was, and a new one records the corrected
    values (the file, its name, path and capture time stay)."""
    from evidence.core.timeutil import parse_instant
    from evidence.ingest.correct import correct_acquisition
    from evidence.workspace import default_actor, open_workspace

    try:
        instant = parse_instant(posted_at) if posted_at else None
    except ValueError as exc:
        raise UsageError(f"--posted-at: {exc}") from None
    given = {
        "--source-url": source_url,
        "--claimed-by": claimed_by,
        "--collected-by": collected_by,
        "--note": note,
    }
    with open_workspace(state(ctx).catalogue) as ws:
        done = correct_acquisition(
            ws,
            acquisition_id,
            reason=reason,
            actor=by if by is not None else default_actor(),
            texts={k: v for k, v in given.items() if v is not None},
            posted_at=instant,
            clear_posted_at=no_posted_at,
        )
    if json_out:
        emit_json(
            {
                "item": {"id": done.item.id, "sha256": done.item.sha256},
                "withdrawn": done.old,
                "made": done.new,
            }
        )
        return
    typer.echo(
        f"acquisition {done.old['id']} of #{done.item.id} {done.item.sha256[:12]} corrected as acquisition "
        f"{done.new['id']}"
    )
    for key in done.changed:
        was, now = (printable(str(v)) if v is not None else "(none)" for v in (done.old[key], done.new[key]))
        typer.echo(f"    {key.replace('_', ' ')}: {was} → {now}")
