"""`evidence match`, `evidence dupes` and `evidence relate`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from evidence.cli.app import app, state
from evidence.cli.output import (
    PAGE,
    count_line,
    emit_json,
    known_json,
    known_line,
    match_json,
    match_line,
    message,
    page_limit,
)
from evidence.core.matching import Segment
from evidence.core.offset_range import LOOSE
from evidence.core.text import printable
from evidence.errors import UsageError


@app.command()
def match(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="A video or image to look up; it is not added."),
    threshold: int = typer.Option(31, "--threshold", min=0, max=128, help="PDQ distance for a frame hit."),
    min_frames: int = typer.Option(3, "--min-frames", min=1, help="Stored frames that must line up."),
    share: float = typer.Option(0.85, "--share", min=0.0, max=1.0, help="Share that counts as 'mostly'."),
    dense: bool = typer.Option(False, "--dense", help="Fingerprint every frame of the query (slower)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Find catalogued near duplicates of a file without adding it (nothing is written)."""
    from evidence.analysis.worker import Worker

    worker = Worker()
    worker.start()  # a fresh interpreter warms up while this one loads the matching code
    with worker:
        from evidence.core.matching import MatchParams
        from evidence.matching.match import match_file
        from evidence.workspace import open_workspace

        params = MatchParams(threshold=threshold, min_frames=min_frames, share=share)
        with open_workspace(state(ctx).catalogue) as ws:
            result = match_file(ws, path, params=params, dense=dense, worker=worker)
    if json_out:
        emit_json(
            {
                "path": result.path,
                "sha256": result.sha256,
                "exact": None if result.exact is None else {"id": result.exact[0], "sha256": result.exact[1]},
                "kind": result.kind,
                "analysis": result.analysis,
                "query_frames": result.query_frames,
                "matches": [match_json(f) for f in result.matches],
                "known": [known_json(k) for k in result.known],
            }
        )
    else:
        if result.exact is not None:
            typer.echo(f"exact copy of #{result.exact[0]} {result.exact[1][:12]} (the same bytes)")
        for found in result.matches:
            typer.echo(match_line(found))
            for s in found.match.segments:
                typer.echo(
                    f"    query {s.query_start:7.2f}-{s.query_end:7.2f} s  ↔  "
                    f"#{found.match.item_id} {s.target_start:7.2f}-{s.target_end:7.2f} s{_loose(s)}"
                )
        for hit in result.known:
            typer.echo(known_line(hit))
        if result.analysis != "ok":
            message(f"analysis {result.analysis}")
        listed = f"; {len(result.known)} entries of partners' hash lists" if result.known else ""
        message(f"{len(result.matches)} near duplicates ({result.query_frames} query frames){listed}")
    if result.analysis.startswith("failed"):
        raise typer.Exit(3)


@app.command()
def dupes(
    ctx: typer.Context,
    case: str | None = typer.Option(None, "--case", help="Only clusters with an item of this case."),
    limit: int | None = typer.Option(
        None, "--limit", min=1, help=f"At most this many clusters (default {PAGE}; --all: every one)."
    ),
    every: bool = typer.Option(False, "--all", help="Every cluster."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Clusters of items that show the same footage, earliest catalogued first: each item's kind, name
    and when it is first known, the links between them (suggested or confirmed, score) and the
    earliest known copy."""
    most = page_limit(limit, every)
    from evidence.matching.review import cluster_page
    from evidence.workspace import open_workspace

    with open_workspace(state(ctx).catalogue) as ws:
        touching = None
        if case is not None:
            from evidence.annotation.cases import case_items

            touching = set(case_items(ws, case)[1])
        clusters, more = cluster_page(ws, touching=touching, size=most)
    if json_out:
        emit_json(
            {
                "clusters": [
                    [
                        {
                            **m.to_json(),
                            "earliest": c.earliest is not None and m.item.id == c.earliest.item.id,
                            "links": [
                                _link_json(r, m.item.id) for r in c.links if m.item.id in (r.a_id, r.b_id)
                            ],
                        }
                        for m in c.members
                    ]
                    for c in clusters
                ],
                "more": more,
            }
        )
        return
    for n, c in enumerate(clusters, 1):
        typer.echo(f"cluster {n}: {len(c.members)} items")
        for m in c.members:
            known = f"  {m.basis} {m.known_text}" if m.known_text else ""
            mark = "  ← earliest known" if c.earliest is not None and m is c.earliest else ""
            typer.echo(
                f"  #{m.item.id} {m.item.sha256[:12]}  {m.item.kind}  {printable(m.name or '')}{known}{mark}"
            )
        for r in c.links:
            score = f", score {r.score:.2f}" if r.score is not None else ""
            typer.echo(f"    #{r.a_id} {r.kind} #{r.b_id} ({r.status}{score})")
    message(count_line(len(clusters), "clusters", more))


def _link_json(r: Any, item_id: int) -> dict[str, Any]:
    other = r.b_id if r.a_id == item_id else r.a_id
    return {"a": r.a_id, "b": r.b_id, "other": other, "kind": r.kind, "status": r.status, "score": r.score}


@app.command()
def review(
    ctx: typer.Context,
    limit: int | None = typer.Option(None, "--limit", min=1, help="At most this many."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Suggested links no analyst has decided yet, most similar first, with the command that decides each."""
    from evidence.core.timeutil import iso
    from evidence.matching.review import suggestions
    from evidence.workspace import open_workspace

    with open_workspace(state(ctx).catalogue) as ws:
        found = suggestions(ws, limit=limit)
    if json_out:
        emit_json(
            {
                "suggestions": [
                    {
                        "a": s.a.to_json(),
                        "b": s.b.to_json(),
                        "kind": s.relation.kind,
                        "score": s.relation.score,
                        "matcher": s.relation.matcher,
                        "suggested_at": iso(s.relation.created_at),
                    }
                    for s in found
                ]
            }
        )
        return
    for s in found:
        score = f"{s.relation.score:.2f}" if s.relation.score is not None else "—"
        typer.echo(f"{score}  #{s.a.item.id} {s.relation.kind} #{s.b.item.id}")
        for m in (s.a, s.b):
            typer.echo(f"      #{m.item.id} {m.item.kind}  {printable(m.name or m.item.sha256[:12])}")
        typer.echo(f"      evidence relate {s.a.item.id} {s.b.item.id} --confirm | --reject")
    message(f"{len(found)} suggestions awaiting a decision")


@app.command()
def relate(
    ctx: typer.Context,
    a: str = typer.Argument(..., help="An item (id or sha256 prefix)."),
    b: str = typer.Argument(..., help="The other item."),
    confirm: bool = typer.Option(False, "--confirm", help="Confirm the link."),
    reject: bool = typer.Option(False, "--reject", help="Reject the link; it is never suggested again."),
    kind: str | None = typer.Option(
        None, "--as", help="What A is to B: duplicate, excerpt-of, contains or partial."
    ),
    note: str | None = typer.Option(None, "--note", help="Why."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Record an analyst's decision on a (suggested) link between two items."""
    from evidence.matching.match import decide_relation
    from evidence.workspace import default_actor, open_workspace

    if confirm == reject:
        raise UsageError("say --confirm or --reject")
    with open_workspace(state(ctx).catalogue) as ws:
        decision = decide_relation(ws, a, b, confirm=confirm, kind=kind, note=note, actor=default_actor())
    rel = decision.relation
    if json_out:
        emit_json(
            {
                "a": {"id": decision.a.id, "sha256": decision.a.sha256},
                "b": {"id": decision.b.id, "sha256": decision.b.sha256},
                "kind": rel.kind,
                "status": rel.status,
                "note": rel.note,
            }
        )
    else:
        typer.echo(f"{rel.status}: #{decision.a.id} {rel.kind} #{decision.b.id}")


def _loose(segment: Segment) -> str:
    """A note where the pictures fit a wide range of offsets (a still stretch): the times are one choice."""
    if segment.offset_range is None:
        return ""
    low, high = segment.offset_range
    if high - low <= LOOSE:
        return ""
    return f"  (the picture does not change: any offset from {low:+.2f} to {high:+.2f} s fits)"
