"""`evidence search` and `evidence provenance`."""

from __future__ import annotations

import typer
from rich.text import Text

from evidence.cli.app import app, state
from evidence.cli.output import PAGE, cell, count_line, emit_json, message, page_limit, print_table


@app.command()
def search(
    ctx: typer.Context,
    tag: list[str] = typer.Option(
        [], "--tag", help="Tagged with this term or one below it (a label, alias or path). Repeatable."
    ),
    claimed_by: list[str] = typer.Option(
        [], "--claimed-by", help="A claim by a claimant whose name contains this (not a counter-claim)."
    ),
    disputed_by: list[str] = typer.Option(
        [], "--disputed-by", help="A counter-claim by a claimant whose name contains this."
    ),
    signed_by: list[str] = typer.Option(
        [],
        "--signed-by",
        help="Content credentials (C2PA) signed by someone whose name or organisation contains this.",
    ),
    place: list[str] = typer.Option([], "--place", help="Claimed to be at a place whose name contains this."),
    text: list[str] = typer.Option(
        [],
        "--text",
        help="Notes, claims, descriptions, original names, source URLs or file metadata contain this.",
    ),
    since: str | None = typer.Option(
        None,
        "--since",
        help="Posted, captured or claimed to show an event on or after (ISO 8601, e.g. 2016-03-24).",
    ),
    until: str | None = typer.Option(
        None, "--until", help="Posted, captured or claimed on or before (a date includes the whole day)."
    ),
    kind: str | None = typer.Option(None, "--kind", help="video, image, audio or other."),
    case: str | None = typer.Option(None, "--case", help="Only items in this case (id or name)."),
    limit: int | None = typer.Option(
        None, "--limit", min=1, help=f"At most this many results (default {PAGE}; --all: every one)."
    ),
    every: bool = typer.Option(False, "--all", help="Every item that matches."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Find items; every criterion must hold. Text is matched literally, ignoring case."""
    from evidence.browse.search import SearchQuery
    from evidence.browse.search import search as run_search
    from evidence.core.timeutil import as_given, iso
    from evidence.workspace import open_workspace

    query = SearchQuery(
        tags=tuple(tag),
        claimed_by=tuple(claimed_by),
        disputed_by=tuple(disputed_by),
        signed_by=tuple(signed_by),
        places=tuple(place),
        texts=tuple(text),
        since=since,
        until=until,
        kind=kind,
        case=case,
        limit=page_limit(limit, every),
    )
    with open_workspace(state(ctx).catalogue) as ws:
        result = run_search(ws, query)
    if json_out:
        emit_json(
            {
                "results": [
                    {
                        "id": h.item.id,
                        "sha256": h.item.sha256,
                        "kind": h.item.kind,
                        "size": h.item.size,
                        "original_name": h.original_name,
                        "first_catalogued_at": iso(h.item.first_catalogued_at),
                        "posted_at": iso(h.posted_at),
                        "matched_terms": list(h.matched_terms),
                        "claimed_by": list(h.claimants),
                        "disputed_by": list(h.disputers),
                        "dates_matched": list(h.dates),
                    }
                    for h in result.hits
                ],
                "terms": result.terms,
                "more": result.more,
            }
        )
        return
    titles: tuple[str, ...] = (
        "id", "sha256", "kind", "posted", "original name", "tags matched", "claimed by", "disputed by"
    )  # fmt: skip
    dated = since is not None or until is not None
    if dated:
        titles = (*titles[:4], "dates matched", *titles[4:])
    rows: list[list[str | Text]] = [
        [
            str(h.item.id),
            h.item.sha256[:12],
            h.item.kind,
            (as_given(iso(h.posted_at), h.posted_precision) or "")[:16].replace("T", " "),
            *([cell("; ".join(h.dates))] if dated else []),
            cell(h.original_name),
            cell("; ".join(h.matched_terms)),
            cell("; ".join(h.claimants)),
            cell("; ".join(h.disputers)),
        ]
        for h in result.hits
    ]
    if rows:
        print_table(titles, rows, whole=titles[:4])
    message(count_line(len(result.hits), "items", result.more))
