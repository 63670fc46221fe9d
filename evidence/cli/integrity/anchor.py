"""`evidence anchor`."""

from __future__ import annotations

from pathlib import Path

import typer

from evidence.cli.app import app, state
from evidence.cli.output import emit_json, message
from evidence.core.text import printable


@app.command()
def anchor(
    ctx: typer.Context,
    output: Path | None = typer.Option(
        None, "-o", "--output", help="Also save the anchor line to this file (outside the catalogue)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Print the custody chain's head as one line to keep outside the catalogue; check it later with
    `evidence verify --anchor FILE`. Refused (exit 5) if the chain does not walk cleanly."""
    from evidence.integrity.anchor import take_anchor
    from evidence.workspace import default_actor, open_workspace

    with open_workspace(state(ctx).catalogue) as ws:
        result = take_anchor(ws, actor=default_actor(), output=output)
    a = result.anchor
    if json_out:
        emit_json(
            {
                "seq": a.seq,
                "hash": a.hash,
                "at": a.at,
                "events": result.events,
                "anchor": a.line,
                "file": None if result.file is None else str(result.file),
                "logged_seq": result.logged_seq,
            }
        )
    else:
        typer.echo(a.line)
    if result.file is not None:
        message(f"anchor saved to {printable(str(result.file))}")
    message(
        f"chain head: event {a.seq} of {result.events}; the anchor was logged as custody event "
        f"{result.logged_seq}. Keep the line outside the catalogue; check it with "
        "`evidence verify --anchor FILE`"
    )
