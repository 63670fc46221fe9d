"""`evidence list` and `evidence show`."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from evidence.cli.app import app, state
from evidence.cli.output import cell, emit_json, human_duration, human_size, print_table, stdout


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    limit: int | None = typer.Option(None, "--limit", min=1, help="At most this many items."),
    case: str | None = typer.Option(None, "--case", help="Only the items in this case (id or name)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """A table of items: id, short sha256, kind, duration/size, first catalogued, original name."""
    from evidence.browse.items import list_catalogue
    from evidence.catalogue.views import item_dict, media_duration
    from evidence.workspace import open_workspace

    with open_workspace(state(ctx).catalogue) as ws:
        only = None
        if case is not None:
            from evidence.annotation.cases import case_items

            only = case_items(ws, case)[1]
        rows = list_catalogue(ws, limit=limit, only=only)
    if json_out:
        emit_json({"items": [item_dict(r.item, original_name=r.original_name) for r in rows]})
        return
    rows_out: list[list[str | Text]] = [
        [
            str(row.item.id),
            row.item.sha256[:12],
            row.item.kind,
            human_duration(media_duration(row.item.probe or {})),
            human_size(row.item.size),
            row.item.first_catalogued_at.strftime("%Y-%m-%d %H:%MZ"),
            cell(row.original_name),
            cell(row.item.analysis),
        ]
        for row in rows
    ]
    titles = ("id", "sha256", "kind", "duration", "size", "first catalogued", "original name", "analysis")
    print_table(titles, rows_out, whole=titles[:6], optional=("duration", "analysis"))


@app.command()
def show(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="Item id or sha256 prefix (6+ hex digits)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Everything known about one item: identity, media metadata, acquisitions, custody events."""
    from evidence.browse.items import show_item
    from evidence.catalogue import credentials
    from evidence.catalogue.views import acquisition_dict, event_dict, item_dict, relation_dict
    from evidence.core.timeutil import as_given, iso
    from evidence.workspace import open_workspace

    with open_workspace(state(ctx).catalogue) as ws:
        detail = show_item(ws, ref)
    item = detail.item
    if json_out:
        document = item_dict(item)
        document["probe"] = item.probe
        document["summary"] = item.summary
        document["stored_at"] = detail.stored_at
        document["acquisitions"] = [
            acquisition_dict(a) | ({"manifest": detail.manifests[a.id]} if a.id in detail.manifests else {})
            for a in detail.acquisitions
        ]
        document["corrected_acquisitions"] = [
            acquisition_dict(a)
            | {"withdrawn_at": iso(w.withdrawn_at), "withdrawn_by": w.withdrawn_by, "withdrawn_note": w.note}
            for a, w in detail.corrected
        ]
        document["events"] = [event_dict(e) for e in detail.events]
        document["relations"] = [relation_dict(rel, other, item.id) for rel, other in detail.relations]
        document["tag_count"] = detail.tags
        document["withdrawn_tag_count"] = detail.withdrawn_tags
        document["claim_count"] = detail.claims
        document["described"] = [d.to_json() for d in detail.described]
        document["captures"] = [c.to_json() for c in detail.captures]
        found = detail.credentials
        document["content_credentials"] = credentials.as_json(found) if found is not None else None
        emit_json(document)
        return
    console = stdout()
    summary = item_dict(item)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for key in ("id", "sha256", "size", "kind", "mime", "declared_ext", "analysis", "first_catalogued_at"):
        value = summary[key]
        if key == "size":
            value = f"{item.size} bytes ({human_size(item.size)})"
        grid.add_row(key.replace("_", " "), cell(value))
    grid.add_row("stored at", cell(detail.stored_at))
    withdrawn = f" ({detail.withdrawn_tags} withdrawn)" if detail.withdrawn_tags else ""
    grid.add_row("tags", f"{detail.tags}{withdrawn}")
    grid.add_row("claims", str(detail.claims))
    if detail.credentials is not None:
        grid.add_row("content credentials", cell(credentials.sentence(detail.credentials)))
    console.print(grid)
    _print_analysis(console, item.summary or {})
    _print_media(console, item.probe or {})
    _print_relations(console, item.id, detail.relations)
    _print_described(console, detail.described)
    _print_captures(console, detail.captures)
    console.print(f"\n[bold]Acquisitions ({len(detail.acquisitions)})[/bold]")
    for acq in detail.acquisitions:
        fields = acquisition_dict(acq)
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold")
        grid.add_column()
        fields["posted_at"] = as_given(fields["posted_at"], fields.pop("posted_at_precision"))
        for key, value in fields.items():
            if value not in (None, "") and key != "id":
                grid.add_row(f"  {key.replace('_', ' ')}", cell(value))
        _manifest_rows(grid, detail.manifests.get(acq.id))
        console.print(f"  #{acq.id}")
        console.print(grid)
    for acq, gone in detail.corrected:  # the history: what was recorded before a correction
        console.print(cell(f"  #{acq.id} (withdrawn by {gone.withdrawn_by}: {gone.note or 'corrected'})"))
        was = acquisition_dict(acq)
        was["posted_at"] = as_given(was["posted_at"], was["posted_at_precision"])
        for key in ("source_url", "posted_at", "claimed_by", "collected_by", "note"):
            value = was[key]
            if value not in (None, ""):
                console.print(cell(f"      was {key.replace('_', ' ')}: {value}"))
    console.print(f"\n[bold]Custody events ({len(detail.events)})[/bold]")
    table = Table(show_edge=False, pad_edge=False)
    for title in ("seq", "time (UTC)", "actor (on host)", "action", "details", "hash"):
        table.add_column(title, overflow="fold")
    for event in detail.events:
        details = ", ".join(f"{k}={v}" for k, v in event.details.items() if v not in (None, "", False))
        table.add_row(
            str(event.seq),
            event.at.strftime("%Y-%m-%d %H:%M:%S"),
            cell(event.actor if event.host is None else f"{event.actor} on {event.host}"),
            event.action,
            cell(details),
            event.hash[:16],
        )
    console.print(table)


def _manifest_rows(grid: Any, manifest: dict[str, Any] | None) -> None:
    """Where an acquisition added by `add --manifest` came from, and the row's other columns."""
    if manifest is None:
        return
    grid.add_row("  manifest", cell(f"{manifest.get('file')} line {manifest.get('line')}"))
    for key, value in (manifest.get("extra") or {}).items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        grid.add_row(f"  {key}", cell(shown))


def _print_media(console: Any, probe: dict[str, Any]) -> None:
    if not probe:
        return
    console.print("\n[bold]Media[/bold]")
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for key, value in probe.items():
        if isinstance(value, dict | list) or value in (None, ""):
            continue
        grid.add_row(f"  {key}", cell(value))
    for key, value in probe.items():
        if isinstance(value, dict) and value:
            grid.add_row(f"  {key}", cell(", ".join(f"{k}={v}" for k, v in value.items())))
        elif isinstance(value, list):
            for index, entry in enumerate(value):
                text = (
                    ", ".join(f"{k}={v}" for k, v in entry.items() if not isinstance(v, dict | list))
                    if isinstance(entry, dict)
                    else str(entry)
                )
                grid.add_row(f"  {key}[{index}]", cell(text))
    console.print(grid)


def _print_analysis(console: Any, summary: dict[str, Any]) -> None:
    if not summary:
        return
    console.print("\n[bold]Analysis[/bold]")
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    border = summary.get("border")
    rows = [
        ("mode", summary.get("mode")),
        ("size", f"{summary.get('width')}x{summary.get('height')} (upright)"),
        ("rotation", summary.get("rotation")),
        ("duration", human_duration(summary.get("duration"))),
        ("frames decoded", summary.get("frames_decoded")),
        ("frames sampled", summary.get("sampled")),
        ("informative", summary.get("informative")),
        ("keyframes", summary.get("keyframes")),
        (
            "border box",
            f"x={border['x']} y={border['y']} w={border['w']} h={border['h']}" if border else "none",
        ),
        ("warnings", "; ".join(summary.get("warnings") or [])),
    ]
    for key, value in rows:
        if value not in (None, ""):
            grid.add_row(f"  {key}", cell(value))
    console.print(grid)


def _print_relations(console: Any, item_id: int, relations: list[Any]) -> None:
    from evidence.catalogue.relations import kind_from

    if not relations:
        return
    console.print(f"\n[bold]Relations ({len(relations)})[/bold]")
    table = Table(show_edge=False, pad_edge=False)
    for title in ("status", "this item is", "other", "score", "offsets", "note"):
        table.add_column(title)
    for rel, other in relations:
        offsets = ", ".join(f"{o:+.2f}s" for o in (rel.evidence or {}).get("offsets", []))
        table.add_row(
            rel.status,
            kind_from(rel, item_id),
            f"#{other.id} {other.sha256[:12]}",
            "" if rel.score is None else f"{rel.score:.2f}",
            offsets,
            cell(rel.note),
        )
    console.print(table)


def _print_described(console: Any, described: list[Any]) -> None:
    """What claims and sources say the footage shows: ✓ observed (where) / ✗ not yet observed."""
    if not described:
        return
    console.print(f"\n[bold]Described in claims ({len(described)})[/bold]")
    for entry in described:
        by = "; ".join(
            (
                (f"claim {b.claim_id}" + (f" ({b.claimant})" if b.claimant else ""))
                if b.claim_id
                else b.source or b.created_by
            )
            + f" [description {b.description_id}]"
            for b in entry.by
        )
        mark = "✓" if entry.observed else "✗"
        state_text = "observed" if entry.observed else "not yet observed"
        console.print(cell(f"  {mark} {entry.path_text} — {state_text} (described by {by})"))
        for seen in entry.where:
            t = seen.tag
            on = "this item" if seen.link == "same" else f"{seen.link} copy #{t.item_id} {t.sha256[:12]}"
            fragment = f"  #{t.fragment}" if t.fragment else ""
            console.print(cell(f"      tag {t.id} {' › '.join(t.path)} on {on}, {t.where()}{fragment}"))


def _print_captures(console: Any, captures: list[Any]) -> None:
    """The links the item was captured from (or whose capture it is part of): where the link led,
    what the server and the platform said, and the items that hold the page, screenshot and metadata."""
    from evidence.core.timeutil import iso

    if not captures:
        return
    console.print(f"\n[bold]Captures ({len(captures)})[/bold]")
    for view in captures:
        c = view.capture
        status = f"HTTP {c.http_status}" if c.http_status is not None else "no answer"
        console.print(
            cell(f"  capture {c.id} ({view.role}): {c.url} — {c.outcome}, {status}, {iso(c.captured_at)}")
        )
        if c.final_url and c.final_url != c.url:
            console.print(cell(f"      final URL {c.final_url}"))
        if c.problem:
            console.print(cell(f"      problem: {c.problem}"))
        for label, ref in (
            ("page (WACZ)", view.page),
            ("screenshot", view.screenshot),
            ("metadata", view.metadata),
        ):
            if ref is not None:
                console.print(cell(f"      {label}: #{ref.id} {ref.sha256[:12]}"))
        if view.media:
            console.print(cell("      media: " + ", ".join(f"#{m.id} {m.sha256[:12]}" for m in view.media)))
        for key, value in view.platform.items():
            console.print(cell(f"      {key.replace('_', ' ')}: {value}"))
