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
    output: Path = typer.Option(
        ...,
        "-o",
        "--output",
        help="The file to write: PNG for a .png name, else JPEG.",
    ),
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


@app.command()
def frame(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="A video's id or sha256 prefix."),
    at: str = typer.Option(..., "--at", help="The time: seconds (12.4) or [h:]mm:ss[.fff]."),
    output: Path = typer.Option(
        ..., "-o", "--output", help="The PNG to write (a sidecar FILE.png.json too)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Write the frame shown at a time, exactly as decoded (upright, full size, lossless PNG), with a
    sidecar naming the item, the frame's number and its time, for a reverse image search."""
    from evidence.core.fragment import parse_time
    from evidence.errors import UsageError
    from evidence.exports.frame import export_frame
    from evidence.workspace import default_actor, open_workspace

    try:
        seconds = parse_time(at)
    except ValueError as exc:
        raise UsageError(f"--at: {exc}") from None
    with open_workspace(state(ctx).catalogue) as ws:
        result = export_frame(ws, ref, float(seconds), output, actor=default_actor())
    if json_out:
        emit_json({"path": str(result.path), "sidecar": str(result.sidecar), **result.record})
        return
    shown = result.record["frame"]
    typer.echo(
        f"wrote {result.path} (frame {shown['index']} at {shown['time']:.3f} s, {shown['width']}x"
        f"{shown['height']}, sha256 {result.sha256[:12]}) and {result.sidecar.name}"
    )
