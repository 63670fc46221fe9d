"""`evidence verify`."""

from __future__ import annotations

from pathlib import Path

import typer

from evidence.cli.app import app, state
from evidence.cli.output import BarProgress, emit_json, message
from evidence.core.text import printable
from evidence.errors import ExitCode


@app.command()
def verify(
    ctx: typer.Context,
    anchor: Path | None = typer.Option(
        None,
        "--anchor",
        help="A file holding an anchor line (from `evidence anchor`): also check the chain still extends it.",
    ),
    deep: bool = typer.Option(
        False,
        "--deep",
        help="Also analyse every analysed original again and compare the frames, fingerprints, probe "
        "and summary with the stored ones, and the similarity index with the fingerprints (slow: as "
        "long as analysing everything).",
    ),
    tsa_ca: Path | None = typer.Option(
        None,
        "--tsa-ca",
        help="Certificate authorities (PEM bundle) the kept trusted timestamps (`anchor --tsa`) must "
        "verify against: each says which authority vouched for which time.",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Re-hash every stored object, re-walk the custody chain (and check it extends an anchor), check the
    kept trusted timestamps (signatures too, with --tsa-ca) and compare the records with the events
    that created them; exit 5 on any problem."""
    from evidence.integrity.anchor import read_anchor
    from evidence.integrity.timestamps import load_roots
    from evidence.integrity.verify import verify as run_verify
    from evidence.workspace import default_actor, open_workspace

    anchored = None if anchor is None else read_anchor(anchor)
    roots = load_roots(tsa_ca) if tsa_ca is not None else []

    with open_workspace(state(ctx).catalogue) as ws, BarProgress("verifying") as progress:
        report = run_verify(
            ws,
            actor=default_actor(),
            anchor=anchored,
            progress=progress,
            deep=deep,
            roots=roots,
        )
    stamps = [
        {
            "event": c.stored.event_seq,
            "tsa": c.stored.tsa,
            "tsa_name": c.tsa_name,
            "anchor_seq": c.stored.anchor_seq,
            "gen_time": c.gen_time,
            "ok": c.ok,
            "problems": list(c.reasons),
            "for_anchor": anchored is not None
            and (c.stored.anchor_seq, c.stored.anchor_hash) == (anchored.seq, anchored.hash),
        }
        for c in report.timestamps
    ]
    if json_out:
        emit_json(
            {
                "ok": report.ok,
                "objects_checked": report.objects_checked,
                "bytes_checked": report.bytes_checked,
                "events_checked": report.events_checked,
                "chain_head": report.chain_head,
                "problems": [
                    {"kind": p.kind, "subject": p.subject, "message": p.message} for p in report.problems
                ],
                "warnings": report.warnings,
                "rederived": report.rederived,
                "anchor": None
                if anchored is None
                else {
                    "seq": anchored.seq,
                    "hash": anchored.hash,
                    "at": anchored.at,
                    "ok": report.anchor_ok,
                },
                "timestamps": stamps,
            }
        )
    else:
        for c, shown in zip(report.timestamps, stamps, strict=True):
            if c.ok is False:
                continue  # said among the problems
            how = "signature verified against --tsa-ca" if c.ok else "signature not checked (no --tsa-ca)"
            mark = " (your anchor)" if shown["for_anchor"] else ""
            message(
                f"timestamp: {printable(c.tsa_name or 'an unnamed signer')} at {printable(c.stored.tsa)} "
                f"vouches that the chain up to event {c.stored.anchor_seq}{mark} existed at {c.gen_time}: "
                f"{how}"
            )
        for problem in report.problems:
            message(f"PROBLEM {problem.kind}: {printable(problem.message)}")
        for warning in report.warnings:
            message(f"warning: {printable(warning)}")
        verdict = "OK" if report.ok else f"FAILED ({len(report.problems)} problems)"
        extends = ""
        if anchored is not None:
            extends = (
                f"; extends the anchor at event {anchored.seq}"
                if report.anchor_ok
                else f"; does NOT extend the anchor at event {anchored.seq}"
            )
        rederived = "" if report.rederived is None else f", {report.rederived} items re-derived"
        typer.echo(
            f"{verdict}: {report.objects_checked} objects ({report.bytes_checked} bytes) re-hashed, "
            f"{report.events_checked} custody events checked{rederived}; chain head {report.chain_head}"
            f"{extends}"
        )
    if not report.ok:
        raise typer.Exit(int(ExitCode.INTEGRITY))
