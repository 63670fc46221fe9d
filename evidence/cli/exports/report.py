"""`evidence report`."""

from __future__ import annotations

from pathlib import Path

import typer

from evidence.cli.app import app, state
from evidence.cli.output import emit_json, message


@app.command()
def report(
    ctx: typer.Context,
    ref: str | None = typer.Argument(None, help="Item id or sha256 prefix (6+ hex digits)."),
    output: Path = typer.Option(
        ..., "-o", "--output", help="The HTML file to write (not inside the catalogue)."
    ),
    case: str | None = typer.Option(None, "--case", help="Report on a whole case (id or name) instead."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """One self-contained HTML file (no scripts, pictures embedded) with an item's provenance, claims,
    tags drawn on their frames, hashes and custody log, or a whole case's, for reading offline. Logged
    as an export."""
    from evidence.core.text import printable
    from evidence.errors import UsageError
    from evidence.workspace import default_actor, open_workspace

    if (ref is None) == (case is None):
        raise UsageError("give an item (REF) or --case CASE")
    if case is not None:
        from evidence.exports.case_report import make_case_report

        with open_workspace(state(ctx).catalogue) as ws:
            done = make_case_report(ws, case, output, actor=default_actor())
        if json_out:
            emit_json({"path": str(done.path), "sha256": done.sha256, "size": done.size, "items": done.items})
            return
        typer.echo(printable(str(done.path)))
        message(f"case report written: {done.size} bytes, {done.items} items; sha256 {done.sha256}")
        return
    from evidence.exports.report import make_report

    with open_workspace(state(ctx).catalogue) as ws:
        result = make_report(ws, ref or "", output, actor=default_actor())
    if json_out:
        emit_json(
            {
                "path": str(result.path),
                "sha256": result.sha256,
                "size": result.size,
                "keyframes": result.keyframes,
                "tagged_pictures": result.tagged_pictures,
            }
        )
        return
    typer.echo(printable(str(result.path)))
    message(
        f"report written: {result.size} bytes, {result.keyframes} keyframes, "
        f"{result.tagged_pictures} tagged frames; sha256 {result.sha256}"
    )
