"""`evidence provenance`."""

from __future__ import annotations

from typing import Any

import typer

from evidence.cli.app import app, state
from evidence.cli.output import emit_json


@app.command()
def provenance(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="Item id or sha256 prefix (6+ hex digits)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Where an item comes from: its acquisitions, copies and near copies with the earliest known, what
    was claimed and described, what analysts tagged, and the custody events, re-verified."""
    from evidence.browse.provenance import provenance as build
    from evidence.workspace import open_workspace

    with open_workspace(state(ctx).catalogue) as ws:
        found = build(ws, ref)
    document = found.to_json()
    if json_out:
        emit_json(document)
    else:
        for line in provenance_lines(document):
            typer.echo(line)
    if not document["chain"]["ok"]:
        raise typer.Exit(5)


def _when(acq: dict[str, object]) -> str:
    from evidence.core.timeutil import as_given

    parts = []
    if acq.get("posted_at"):
        parts.append(f"posted {as_given(str(acq['posted_at']), str(acq.get('posted_at_precision')))}")
    parts.append(f"captured {acq['captured_at']}")
    if acq.get("source_url"):
        parts.append(f"from {acq['source_url']}")
    if acq.get("collected_by"):
        parts.append(f"by {acq['collected_by']}")
    return "  ".join(parts)


def provenance_lines(doc: dict[str, Any]) -> list[str]:
    """The provenance document as text for a terminal; outside text made printable."""
    from evidence.core.text import printable

    p = printable
    item = doc["item"]
    lines = [
        f"#{item['id']} sha256:{item['sha256']}  {item['kind']}  "
        f"first catalogued {item['first_catalogued_at']}"
    ]
    lines.append("acquisitions:")
    for acq in doc["acquisitions"]:
        lines.append(f"  {p(acq['original_name'])}  {p(_when(acq))}")
    lines.append(f"copies and near copies: {len(doc['copies'])}")
    for copy in doc["copies"]:
        rel = copy["relation"]
        how = (
            "linked through other copies"
            if rel is None
            else (
                f"{rel['kind']} ({rel['status']}, score {rel['score'] or 0:.2f}"
                + (f", offset {', '.join(f'{o:+.2f}s' for o in rel['offsets'])}" if rel["offsets"] else "")
                + ")"
            )
        )
        lines.append(
            f"  #{copy['id']} {copy['sha256'][:12]}  {how}"
            + ("  [partial: shares a run, not a copy]" if copy["partial"] else "")
        )
        for acq in copy["acquisitions"]:
            lines.append(f"      {p(acq['original_name'])}  {p(_when(acq))}")
    earliest = doc["earliest"]
    if earliest:
        lines.append(
            f"earliest known copy: #{earliest['id']} {earliest['sha256'][:12]}  "
            f"{earliest['basis'].replace('_at', '')} {earliest['at_text']}"
            + (f"  from {p(earliest['source_url'])}" if earliest["source_url"] else "")
        )
    for warning in doc["warnings"]:
        lines.append(f"warning: {p(warning['message'])}")
    for hit in doc["known"]:
        there = f" at {hit['list_time']:.2f} s" if hit["list_time"] is not None else ""
        lines.append(
            f"known: copy #{hit['item']['id']} is on hash list {p(hit['list'])} as {p(hit['entry'])}{there} "
            f"(frame at {hit['time']:.2f} s, distance {hit['distance']})"
        )
    for found in doc["content_credentials"]:
        lines.append(f"content credentials of #{found['item']['id']}: {p(found['summary'])}")
    for capture in doc["captures"]:
        status = f"HTTP {capture['http_status']}" if capture["http_status"] is not None else "no answer"
        gave = ", ".join(f"#{i}" for i in capture["items"])
        lines.append(f"captured from {p(capture['url'])} ({status}, {capture['captured_at']}; gave {gave})")
        if capture["final_url"] and capture["final_url"] != capture["url"]:
            lines.append(f"      final URL {p(capture['final_url'])}")
        held = [(k, capture[k]) for k in ("page", "screenshot", "metadata") if capture[k]]
        if held:
            lines.append("      " + ", ".join(f"{k} #{ref['id']} {ref['sha256'][:12]}" for k, ref in held))
        for key, value in capture["platform_metadata"].items():
            lines.append(f"      {key.replace('_', ' ')}: {p(str(value))}")
    lines.append(f"claims: {len(doc['claims'])}")
    for claim in doc["claims"]:
        said = f", said {claim['said_on_text']}" if claim["said_on"] else ""
        if claim["counters"]:
            what = f", disputes #{claim['counters']}"
        else:
            when = f" {claim['claimed_date_text']}" if claim["claimed_date"] else ""
            where = f" at {p(claim['place']['name'])}" if claim["place"] else ""
            what = f"; event{when}{where}" if when or where else ""
        lines.append(f"  #{claim['id']} {p(claim['claimant'])}{said}{what}: {p(claim['statement'])}")
    if doc["described"]:
        lines.append("described vs observed:")
        for entry in doc["described"]:
            mark = "✓ observed" if entry["observed"] else "✗ not yet observed"
            lines.append(f"  {mark}: {p(entry['term'])}")
            for where in entry["where"]:
                lines.append(f"      #{where.get('item_id')} {p(str(where.get('fragment') or ''))}")
    active = [t for t in doc["tags"] if not t.get("withdrawn")]
    lines.append(f"tags: {len(active)}")
    for tag in active:
        lines.append(
            f"  #{tag['id']} on item #{tag['item']['id']}: {p(' › '.join(tag['path']))}  "
            f"{p(str(tag.get('fragment') or ''))}"
        )
    chain = doc["chain"]
    status = "intact" if chain["ok"] else "PROBLEMS: " + "; ".join(chain["problems"])
    scope = chain.get("scope") or f"{chain['events_checked']} events"
    about = f"custody: {len(doc['events'])} events about these items"
    lines.append(f"{about}; chain {status} ({scope}); head {chain['head']}")
    return lines
