"""`evidence hashes export`: the PDQ hashes as the hash lists partners exchange."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

import typer

from evidence.cli.app import app, state
from evidence.cli.output import emit_json, message
from evidence.core.text import printable

hashes_app = typer.Typer(
    help="Hash lists: the catalogue's PDQ hashes in the formats partners exchange.", no_args_is_help=True
)
app.add_typer(hashes_app, name="hashes")


class HashFormat(StrEnum):
    threatexchange = "threatexchange"
    vpdq = "vpdq"
    csv = "csv"


@hashes_app.command("export")
def hashes_export(
    ctx: typer.Context,
    refs: list[str] | None = typer.Argument(
        None, metavar="REF", help="Items (id or sha256 prefix). Default: every item."
    ),
    fmt: HashFormat = typer.Option(
        ...,
        "--format",
        "-f",
        help="threatexchange: `pdq,quality,sha256` a line for each image (as Meta's pdq-photo-hasher "
        "prints); vpdq: `frame,quality,pdq,seconds` a line for each sampled frame of a video (vPDQ's hash "
        "files; one file a video); csv: every item's frames with a header.",
    ),
    output: Path | None = typer.Option(
        None,
        "-o",
        "--output",
        help="Write to this file (default: stdout); with vpdq and several videos, this folder "
        "(<sha256>.txt each).",
    ),
    case: str | None = typer.Option(None, "--case", help="The items of this case (id or name), too."),
    json_out: bool = typer.Option(False, "--json", help="Print a JSON summary (the list then needs -o)."),
) -> None:
    """Write the PDQ hash of each image, or of each sampled frame of each video, as a hash list another
    organisation's tools read (ThreatExchange / HMA, vPDQ), without the media; logged as an export."""
    from evidence.errors import UsageError
    from evidence.exports.hashlists import export_hashes
    from evidence.workspace import default_actor, open_workspace

    if json_out and output is None:
        raise UsageError("--json prints a summary: give -o FILE for the list itself")
    items = list(refs or [])
    with open_workspace(state(ctx).catalogue) as ws:
        if case is not None:
            from evidence.annotation.cases import case_items

            items += [str(i) for i in case_items(ws, case)[1]]
        result = export_hashes(ws, items, fmt=fmt.value, output=output, actor=default_actor())
    if json_out:
        emit_json(
            {
                "format": fmt.value,
                "items": result.items,
                "skipped": result.skipped,
                "files": [{"path": str(p), "items": n} for p, n in result.files.items()],
                "event_seq": result.event_seq,
            }
        )
    elif result.text is not None:
        sys.stdout.write(result.text)
        sys.stdout.flush()
    for path, count in result.files.items():
        message(f"wrote {printable(str(path))} ({count} item{'s' if count != 1 else ''})")
    skipped = f"; {result.skipped} other item(s) have no hash in this format" if result.skipped else ""
    message(f"{result.items} item(s) exported as {fmt.value} hashes{skipped}")
