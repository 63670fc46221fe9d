"""`evidence export`: the records as JSON or CSV, or a BagIt bag of the originals with their records."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from evidence.cli.app import app, state
from evidence.core.text import printable


class Format(StrEnum):
    json = "json"
    csv = "csv"


class Table(StrEnum):
    items = "items"
    acquisitions = "acquisitions"
    frames = "frames"
    tags = "tags"
    claims = "claims"
    descriptions = "descriptions"
    terms = "terms"
    relations = "relations"
    events = "events"


@app.command()
def export(
    ctx: typer.Context,
    refs: list[str] | None = typer.Argument(
        None,
        metavar="REF",
        help="Items (id or sha256 prefix) and the records about them. Default: every item.",
    ),
    fmt: Format | None = typer.Option(
        None, "--format", "-f", help="json (default): one document; csv: one table."
    ),
    table: Table | None = typer.Option(None, "--table", help="The CSV table (default: items)."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write to this file (default: stdout)."),
    bagit: Path | None = typer.Option(
        None,
        "--bagit",
        help="Write a BagIt bag (originals, records, custody log) into this new or empty folder.",
    ),
    organization: str | None = typer.Option(
        None, "--source-organization", help="The bag's Source-Organization (with --bagit)."
    ),
    case: str | None = typer.Option(None, "--case", help="The items of this case (id or name), too."),
) -> None:
    """Export the records (JSON or a CSV table), or a BagIt bag of the originals with their records."""
    from evidence.errors import UsageError
    from evidence.workspace import default_actor, open_workspace

    items = list(refs or [])
    if case is not None:
        from evidence.annotation.cases import case_items

        with open_workspace(state(ctx).catalogue) as ws:
            items += [str(i) for i in case_items(ws, case)[1]]
    if bagit is not None:
        if fmt is not None or table is not None or output is not None:
            raise UsageError("--bagit writes a whole bag: leave out --format, --table and -o")
        from evidence.exports.bagit import export_bag

        with open_workspace(state(ctx).catalogue) as ws:
            bag = export_bag(ws, items, bagit, actor=default_actor(), organization=organization)
        typer.echo(
            f"wrote bag {printable(str(bag.path))} ({_items(bag.items)}, Payload-Oxum {bag.payload_oxum}, "
            f"manifest sha256 {bag.manifest_sha256[:12]})"
        )
        return
    if organization is not None:
        raise UsageError("--source-organization goes with --bagit")
    from evidence.exports.records import ExportFormat, export_records

    with open_workspace(state(ctx).catalogue) as ws:
        result = export_records(
            ws,
            items,
            fmt=ExportFormat((fmt or Format.json).value),
            table=table.value if table is not None else None,
            output=output,
            actor=default_actor(),
        )
    if result.path is None:
        typer.echo(result.data.decode("utf-8"), nl=False)
    else:
        typer.echo(
            f"wrote {printable(str(result.path))} ({_items(result.items)}, sha256 {result.sha256[:12]})"
        )


def _items(count: int) -> str:
    return f"{count} item" if count == 1 else f"{count} items"
