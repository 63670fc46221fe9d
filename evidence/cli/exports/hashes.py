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


@hashes_app.command("import")
def hashes_import(
    ctx: typer.Context,
    path: Path = typer.Argument(..., metavar="FILE", help="A partner's hash list."),
    name: str = typer.Option(..., "--list", help="The list's name here (new): what hits are reported as."),
    fmt: HashFormat | None = typer.Option(
        None, "--format", "-f", help="threatexchange, vpdq or csv (default: read from its first line)."
    ),
    label: str | None = typer.Option(
        None, "--label", help="For a vPDQ file: the video it is of (default: the file's name)."
    ),
    collected_by: str | None = typer.Option(None, "--collected-by", help="Who received the list."),
    note: str | None = typer.Option(None, "--note", help="A note kept with its acquisition."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Load a partner's hash list as known content (no media): the file is preserved as received and
    checked line by line (a wrong line refuses it, exit 2); from then on `add` and `match` report the
    frames that match one of its hashes, with the list's name and the matched time."""
    from evidence.ingest.hashlist import import_list
    from evidence.workspace import default_actor, open_workspace

    with open_workspace(state(ctx).catalogue) as ws:
        done = import_list(
            ws,
            path,
            name=name,
            actor=default_actor(),
            fmt=None if fmt is None else fmt.value,
            label=label,
            collected_by=collected_by,
            note=note,
        )
    if json_out:
        emit_json(
            {
                "list": done.name,
                "format": done.format,
                "entries": done.entries,
                "item": done.item_id,
                "sha256": done.sha256,
                "new_item": done.new_item,
            }
        )
        return
    kept = "preserved as" if done.new_item else "already catalogued as"
    typer.echo(
        f"hash list {printable(done.name)}: {done.entries} {done.format} hashes, {kept} "
        f"#{done.item_id} {done.sha256[:12]}"
    )


@hashes_app.command("lists")
def hashes_lists(
    ctx: typer.Context, json_out: bool = typer.Option(False, "--json", help="Print one JSON document.")
) -> None:
    """The hash lists loaded as known content: name, format, hashes, the item that preserves each."""
    from sqlalchemy import select

    from evidence.catalogue.models import HashList
    from evidence.core.timeutil import iso
    from evidence.workspace import open_workspace

    with open_workspace(state(ctx).catalogue) as ws, ws.db.read() as session:
        rows = [
            {
                "name": h.name,
                "format": h.format,
                "entries": h.entries,
                "item": h.item_id,
                "imported_at": iso(h.imported_at),
                "imported_by": h.imported_by,
            }
            for h in session.scalars(select(HashList).order_by(HashList.id))
        ]
    if json_out:
        emit_json({"lists": rows})
        return
    for r in rows:
        typer.echo(
            f"{printable(str(r['name']))}  {r['format']}  {r['entries']} hashes  #{r['item']}  "
            f"{r['imported_at']} by {printable(str(r['imported_by']))}"
        )
    message(f"{len(rows)} hash list(s)")
