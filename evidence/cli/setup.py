"""`evidence init` and `evidence db upgrade`."""

from __future__ import annotations

from pathlib import Path

import typer

from evidence.cli.app import app, db_app, state
from evidence.cli.output import emit_json, message
from evidence.core.text import printable


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
    """Apply database migrations in one transaction (an SQLite catalogue is first copied to
    .evidence/backups/; on PostgreSQL take a pg_dump first)."""
    from evidence.workspace import upgrade_catalogue

    result = upgrade_catalogue(state(ctx).catalogue)
    if result.before == result.after:
        typer.echo(f"schema already current ({result.after})")
    else:
        typer.echo(f"schema upgraded from {result.before or 'empty'} to {result.after}")
    if result.backup is not None:
        message(f"a copy of the catalogue from before the upgrade is at {printable(str(result.backup))}")
    if result.starter_added:
        message("added the starter vocabulary (see `evidence terms`)")
    if result.said_on_moved:
        message(
            f"{result.said_on_moved} counter-claim(s) had a date: it is now when they were said "
            "(`claim --said-on`); a counter-claim asserts no event date"
        )
    if result.sealed:
        message(
            f"sealed the records as they stand in {result.sealed} custody event(s): from now on "
            "`evidence verify` compares every record with the custody log"
        )


@db_app.command("roles")
def db_roles(
    ctx: typer.Context,
    app_role: str = typer.Option(..., "--app-role", help="The role everyday evidence commands connect as."),
    print_only: bool = typer.Option(False, "--print", help="Print the SQL instead of running it."),
) -> None:
    """PostgreSQL: grant an application role everyday access that cannot change or delete custody
    events (run as the owner role, the one that runs `db upgrade`)."""
    from evidence.catalogue import roles

    if print_only:
        typer.echo(roles.script(app_role), nl=False)
        return
    from evidence.config import locate

    result = roles.apply_app_role(locate(state(ctx).catalogue).database_url, app_role)
    typer.echo(
        f"granted {result.app_role} everyday access to the catalogue in schema {result.schema} "
        f"(SELECT, INSERT only on event and the records; owner: {result.owner}); connect evidence as "
        f"{result.app_role}"
    )
    message("run `evidence db roles` again after each `evidence db upgrade`")


def _safe_url(url: str) -> str:
    """A database URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@db_app.command("reindex")
def db_reindex(ctx: typer.Context) -> None:
    """Rebuild the similarity index from the stored fingerprints (for repairs)."""
    from evidence.matching.match import rebuild_index
    from evidence.workspace import default_actor, open_workspace

    with open_workspace(state(ctx).catalogue) as ws:
        rows = rebuild_index(ws, actor=default_actor())
    typer.echo(f"similarity index rebuilt: {rows} band rows")
