"""`evidence verify`."""

from __future__ import annotations

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from evidence.cli.app import app, state
from evidence.cli.output import emit_json, message, stderr
from evidence.core.text import printable
from evidence.errors import ExitCode


@app.command()
def verify(
    ctx: typer.Context,
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Re-hash every stored object and re-walk the custody chain; exit 5 on any problem."""
    from evidence.verify import verify as run_verify
    from evidence.workspace import default_actor, open_workspace

    console = stderr()
    progress = Progress(
        TextColumn("verifying"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    task = progress.add_task("verify", total=None)
    with open_workspace(state(ctx).catalogue) as ws, progress:
        report = run_verify(
            ws,
            actor=default_actor(),
            start=lambda total: progress.update(task, total=total),
            advance=lambda n: progress.advance(task, n),
        )
    if json_out:
        emit_json(
            {
                "ok": report.ok,
                "objects_checked": report.objects_checked,
                "bytes_checked": report.bytes_checked,
                "events_checked": report.events_checked,
                "chain_head": report.chain_head,
                "problems": [
                    {"kind": p.kind, "subject": p.subject, "message": p.message} for p in report.problems
                ],
                "warnings": report.warnings,
            }
        )
    else:
        for problem in report.problems:
            message(f"PROBLEM {problem.kind}: {printable(problem.message)}")
        for warning in report.warnings:
            message(f"warning: {printable(warning)}")
        verdict = "OK" if report.ok else f"FAILED ({len(report.problems)} problems)"
        typer.echo(
            f"{verdict}: {report.objects_checked} objects ({report.bytes_checked} bytes) re-hashed, "
            f"{report.events_checked} custody events checked; chain head {report.chain_head}"
        )
    if not report.ok:
        raise typer.Exit(int(ExitCode.INTEGRITY))
