"""`evidence ocr`."""

from __future__ import annotations

import typer

from evidence.cli.app import app, state
from evidence.cli.output import emit_json, message
from evidence.core.text import parsed, printable


@app.command()
def ocr(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="Item id or sha256 prefix."),
    at: list[str] = typer.Option(
        [], "--at", help="Read the frame shown at this time now (12.5 or [h:]mm:ss[.fff]); repeatable."
    ),
    keyframes: bool = typer.Option(
        False, "--keyframes", help="Read the item's keyframes (or image) again now."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """The text read in an item's frames: each word with its reference (for `tag --word`), box and
    confidence; with --at or --keyframes, read now and kept."""
    from evidence.browse.text import item_text
    from evidence.catalogue.frametext import reading_json
    from evidence.core.fragment import parse_time
    from evidence.workspace import default_actor, open_workspace

    times = [float(t) for t in (parsed("--at", parse_time, value) for value in at) if t is not None]
    with open_workspace(state(ctx).catalogue) as ws:
        found = item_text(ws, ref, at=times, keyframes=keyframes, actor=default_actor())
    shown = [reading_json(r) for r in found.readings]
    for problem in found.failed:
        message(f"not read {problem}")
    if json_out:
        emit_json(
            {"id": found.item.id, "sha256": found.item.sha256, "readings": shown, "failed": found.failed}
        )
    else:
        for reading in shown:
            where = "image" if reading["t"] is None else f"at {reading['t']:.2f} s"
            typer.echo(
                f"reading {reading['id']}  {where}  ({reading['width']}x{reading['height']}, "
                f"{reading['engine']} {reading['languages']})"
            )
            for w in reading["words"]:
                x, y, width, height = w["box"]
                typer.echo(
                    f"  {w['ref']:<9} {printable(w['text'])}  "
                    f"({w['confidence']:.0f}%, box {x},{y},{width},{height})"
                )
            if not reading["words"]:
                typer.echo("  (no text)")
    if found.absent is not None:
        message(found.absent)
    words = sum(len(r["words"]) for r in shown)
    message(f"{len(shown)} reading(s) with {words} word(s)" + (" read now" if found.read_now else ""))
