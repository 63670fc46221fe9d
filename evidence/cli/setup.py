"""`evidence init` and `evidence db upgrade`."""

from __future__ import annotations

from pathlib import Path

import typer

from evidence.cli.app import app, db_app, state
from evidence.cli.output import emit_json, message


@app.command()
def init(
    ctx: typer.Context,
    directory: Path | None = typer.Argument(None, help="Where to create .evidence/ (default: here)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Create a catalogue: DIR/.evidence/ with its object store and database."""
    from evidence.config import target_for_init
    from evidence.workspace import init_workspace

    target = target_for_init(directory, state(ctx).catalogue)
    result = init_workspace(target)
    if json_out:
        emit_json(
            {
                "catalogue": str(result.root),
                "created": result.created,
                "database": _safe_url(result.database_url),
            }
        )
        return
    verb = "created" if result.created else "already exists:"
    typer.echo(f"{verb} {result.root}")
    if not result.created:
        message("the catalogue was already there; its schema is current")


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply database migrations to the catalogue (back up .evidence/ first)."""
    from evidence.workspace import upgrade_catalogue

    result = upgrade_catalogue(state(ctx).catalogue)
    if result.before == result.after:
        typer.echo(f"schema already current ({result.after})")
    else:
        typer.echo(f"schema upgraded from {result.before or 'empty'} to {result.after}")
    if result.starter_added:
        message("added the starter vocabulary (see `evidence terms`)")


def _safe_url(url: str) -> str:
    """A database URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@db_app.command("reindex")
def db_reindex(ctx: typer.Context) -> None:
    """Rebuild the similarity index from the stored fingerprints (for repairs)."""
    from evidence.matching import rebuild_index
    from evidence.workspace import default_actor, open_workspace

    with open_workspace(state(ctx).catalogue) as ws:
        rows = rebuild_index(ws, actor=default_actor())
    typer.echo(f"similarity index rebuilt: {rows} band rows")
