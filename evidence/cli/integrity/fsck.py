"""`evidence fsck`."""

from __future__ import annotations

import typer

from evidence.cli.app import app, state
from evidence.cli.output import BarProgress, emit_json, message
from evidence.core.text import printable

SHOWN_PER_KIND = 20  # text output: the first few of a kind, then a count
LABELS = {"repair": "to repair", "analyze": "to analyse", "human": "PROBLEM"}


@app.command()
def fsck(
    ctx: typer.Context,
    repair: bool = typer.Option(
        False,
        "--repair",
        help="Remove unfinished copies, move uncatalogued objects to store/orphans/, make objects "
        "read-only again; never deletes an original or a record.",
    ),
    deep: bool = typer.Option(False, "--deep", help="Also re-hash every catalogued object."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Find what a crash left behind (temp files, uncatalogued objects, interrupted analyses) and
    where the store and the catalogue disagree; exit 0 clean, 3 analysis to run, 5 problems left."""
    from evidence.integrity.fsck import fsck as run_fsck
    from evidence.workspace import default_actor, open_workspace

    with open_workspace(state(ctx).catalogue) as ws, BarProgress("re-hashing", show=deep) as progress:
        report = run_fsck(
            ws,
            actor=default_actor(),
            repair=repair,
            deep=deep,
            progress=progress,
        )
    if json_out:
        emit_json(
            {
                "ok": report.ok,
                "problems": [
                    {
                        "kind": p.kind,
                        "subject": p.subject,
                        "message": p.message,
                        "repaired": p.repaired,
                        "action": p.action,
                        "suggestion": p.suggestion,
                    }
                    for p in report.problems
                ],
                "repaired": report.repaired,
                "objects_checked": report.objects_checked,
                "bytes_checked": report.bytes_checked,
                "events_checked": report.events_checked,
                "chain_head": report.chain_head,
                "quarantined": report.quarantined,
                "deep": report.deep,
            }
        )
    else:
        shown: dict[str, int] = {}
        for p in report.problems:
            shown[p.kind] = shown.get(p.kind, 0) + 1
            if shown[p.kind] > SHOWN_PER_KIND:
                continue
            label = "repaired" if p.repaired else LABELS.get(p.action, "PROBLEM")
            hint = f" (run `{p.suggestion}`)" if p.suggestion else ""
            message(f"{label} {p.kind}: {printable(p.message)}{hint}")
        for kind, count in shown.items():
            if count > SHOWN_PER_KIND:
                message(f"… and {count - SHOWN_PER_KIND} more {kind}")
        left = len(report.problems) - report.repaired
        verdict = "OK" if report.ok else f"PROBLEMS ({left} left)"
        typer.echo(
            f"{verdict}: {report.objects_checked} objects, {report.events_checked} custody events checked"
            f"{f', {report.bytes_checked} bytes re-hashed' if deep else ''}; "
            f"{report.repaired} repaired, {left} not repaired; chain head {report.chain_head}"
        )
    code = int(report.exit_code)
    if code:
        raise typer.Exit(code)
