"""`evidence anchor`."""

from __future__ import annotations

import hashlib
from pathlib import Path

import typer

from evidence.cli.app import app, state
from evidence.cli.output import emit_json, message
from evidence.core.text import printable


@app.command()
def anchor(
    ctx: typer.Context,
    output: Path | None = typer.Option(
        None, "-o", "--output", help="Also save the anchor line to this file (outside the catalogue)."
    ),
    tsa: list[str] = typer.Option(
        [],
        "--tsa",
        metavar="URL",
        help="Ask this RFC 3161 time-stamping authority to sign the anchor (repeat for several); "
        "the replies are kept in the catalogue (and beside --output as FILE.1.tsr, …).",
    ),
    tsa_ca: Path | None = typer.Option(
        None,
        "--tsa-ca",
        help="Certificate authorities (PEM bundle) the authorities' tokens must verify against "
        "before they are kept.",
    ),
    timeout: float = typer.Option(
        30.0, "--timeout", min=1, max=600, help="Seconds to wait for each time-stamping authority."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Print the custody chain's head as one line to keep outside the catalogue; check it later with
    `evidence verify --anchor FILE`. With --tsa, independent time-stamping authorities sign it (RFC
    3161): if one cannot be reached or answers wrongly, nothing is written (exit 4). Refused (exit 5)
    if the chain does not walk cleanly."""
    from evidence.integrity.anchor import take_anchor
    from evidence.integrity.timestamps import load_roots
    from evidence.workspace import default_actor, open_workspace

    if tsa_ca is not None and not tsa:
        from evidence.errors import UsageError

        raise UsageError("--tsa-ca checks the tokens of --tsa: give the time-stamping authority too")
    roots = load_roots(tsa_ca) if tsa_ca is not None else []
    with open_workspace(state(ctx).catalogue) as ws:
        result = take_anchor(ws, actor=default_actor(), output=output, tsa=tsa, timeout=timeout, roots=roots)
    a = result.anchor
    if json_out:
        emit_json(
            {
                "seq": a.seq,
                "hash": a.hash,
                "at": a.at,
                "events": result.events,
                "anchor": a.line,
                "file": None if result.file is None else str(result.file),
                "logged_seq": result.logged_seq,
                "timestamps": [
                    {
                        "tsa": s.tsa,
                        "tsa_name": s.tsa_name,
                        "gen_time": s.gen_time,
                        "serial": str(s.serial),
                        "reply_sha256": hashlib.sha256(s.reply).hexdigest(),
                        "file": None if n >= len(result.stamp_files) else str(result.stamp_files[n]),
                    }
                    for n, s in enumerate(result.stamps)
                ],
            }
        )
    else:
        typer.echo(a.line)
    if result.file is not None:
        message(f"anchor saved to {printable(str(result.file))}")
    for n, s in enumerate(result.stamps):
        saved = f"; saved to {printable(str(result.stamp_files[n]))}" if n < len(result.stamp_files) else ""
        checked = " (signature verified against --tsa-ca)" if roots else ""
        message(
            f"timestamp: {printable(s.tsa_name or 'an unnamed signer')} at {printable(s.tsa)} signed the "
            f"anchor at {s.gen_time}{checked}{saved}"
        )
    message(
        f"chain head: event {a.seq} of {result.events}; the anchor was logged as custody event "
        f"{result.logged_seq}. Keep the line outside the catalogue; check it with "
        "`evidence verify --anchor FILE`"
    )
