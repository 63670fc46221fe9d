"""`evidence frames` and `evidence sheet`."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import typer
from rich.table import Table

from evidence.cli.app import app, state
from evidence.cli.output import emit_json, message, stdout
from evidence.core.names import HashVariant


@app.command()
def frames(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="Item id or sha256 prefix."),
    keyframes_only: bool = typer.Option(False, "--keyframes", help="Only keyframes (scene cuts and more)."),
    sampled_only: bool = typer.Option(False, "--sampled", help="Only the sampled (fingerprinted) frames."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Keyframes and sampled frames: time, why chosen, quality, fingerprint."""
    from evidence.browse.items import list_frames
    from evidence.catalogue.views import frame_dict
    from evidence.exports.render.sheet import timecode
    from evidence.workspace import open_workspace

    with open_workspace(state(ctx).catalogue) as ws:
        result = list_frames(ws, ref)
    views = [
        v
        for v in result.frames
        if (not keyframes_only or v.frame.keyframe) and (not sampled_only or v.frame.sampled)
    ]
    if json_out:
        emit_json(
            {
                "id": result.item.id,
                "sha256": result.item.sha256,
                "analysis": result.item.analysis,
                "summary": result.item.summary,
                "frames": [frame_dict(v.frame, v.hashes) for v in views],
            }
        )
        return
    if not views:
        message(f"item {result.item.id} has no frames (analysis: {result.item.analysis})")
        return
    table = Table(show_edge=False, pad_edge=False)
    for title in ("index", "time", "keyframe", "sampled", "quality", "pdq (canonical)", "thumbnail"):
        table.add_column(title, no_wrap=True)
    for v in views:
        canonical = next((h.value for h in v.hashes if h.variant == HashVariant.CANONICAL), "")
        flags = "flat" if v.frame.flat else ("" if v.frame.quality is None else str(v.frame.quality))
        table.add_row(
            str(v.frame.idx),
            timecode(Fraction(v.frame.pts)),
            v.frame.keyframe or "",
            "yes" if v.frame.sampled else "",
            flags,
            canonical,
            (v.frame.thumbnail or "")[:12],
        )
    stdout().print(table)


@app.command()
def sheet(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="Item id or sha256 prefix."),
    output: Path = typer.Option(..., "-o", "--output", help="The JPEG file to write."),
    columns: int = typer.Option(4, "--columns", min=1, max=12, help="Thumbnails per row."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """A contact sheet: the keyframes' thumbnails in a grid with their timecodes burnt in."""
    from evidence.exports.sheet import make_sheet
    from evidence.workspace import default_actor, open_workspace

    with open_workspace(state(ctx).catalogue) as ws:
        result = make_sheet(ws, ref, output, actor=default_actor(), columns=columns)
    if json_out:
        emit_json({"path": str(result.path), "sha256": result.sha256, "keyframes": result.keyframes})
    else:
        typer.echo(f"wrote {result.path} ({result.keyframes} keyframes, sha256 {result.sha256[:12]})")
