"""`evidence serve`: the catalogue in a browser (read-only for now)."""

from __future__ import annotations

import errno

import typer

from evidence.cli.app import app, state
from evidence.cli.output import message


@app.command()
def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on: a loopback address."),
    port: int = typer.Option(8765, "--port", min=0, max=65535, help="Port to listen on (0: any free port)."),
) -> None:
    """Browse the catalogue in a web browser: items with thumbnails and the search filters, each item's
    player (seeking works), keyframes, tags, claims, copies and provenance. Read-only; stop with Ctrl-C."""
    from evidence.errors import EnvironmentFailure, UsageError
    from evidence.web.app import loopback
    from evidence.web.app import serve as make_server
    from evidence.workspace import default_actor, open_workspace

    if not loopback(host):
        raise UsageError(
            f"--host {host}: the web application has no accounts yet, so it serves this machine only "
            "(127.0.0.1 or ::1)"
        )
    with open_workspace(state(ctx).catalogue) as ws:
        try:
            server = make_server(ws, host, port, actor=default_actor())
        except OSError as exc:
            reason = "the port is in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
            raise EnvironmentFailure(f"cannot listen on {host}:{port}: {reason}") from exc
        message(f"serving {ws.location.root} at {server.url} (Ctrl-C to stop)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            message("stopped")
        finally:
            server.server_close()
