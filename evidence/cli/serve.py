"""`evidence serve`: the catalogue in a browser, for the accounts of `evidence users`."""

from __future__ import annotations

import errno
import gc

import typer

from evidence.cli.app import app, state
from evidence.cli.output import message


@app.command()
def serve(
    ctx: typer.Context,
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Address to listen on (another than loopback only with accounts)."
    ),
    port: int = typer.Option(8765, "--port", min=0, max=65535, help="Port to listen on (0: any free port)."),
    read_only: bool = typer.Option(
        False, "--read-only", help="Serve viewers only: no account changes anything."
    ),
) -> None:
    """Work on the catalogue in a web browser: items with thumbnails and the search filters, each item's
    player (seeking works), keyframes, tags (draw a box on the frame), claims, copies and provenance,
    and the review queue. With accounts (`evidence users add`) everyone logs in and analysts change the
    catalogue; without, it is read-only for this machine. Stop with Ctrl-C."""
    from evidence.accounts.users import list_users
    from evidence.errors import EnvironmentFailure, UsageError
    from evidence.web.app import Server, loopback
    from evidence.workspace import default_actor, open_workspace

    host = "127.0.0.1" if host.strip().lower() == "localhost" else host.strip()
    with open_workspace(state(ctx).catalogue) as ws:
        if not loopback(host) and not list_users(ws):
            raise UsageError(
                f"--host {host}: this catalogue has no accounts, so it is served to this machine only "
                "(127.0.0.1 or ::1); add one with `evidence users add NAME --role analyst`"
            )
        try:
            server = Server(ws, host, port, actor=default_actor(), read_only=read_only)
        except OSError as exc:
            reason = "the port is in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
            raise EnvironmentFailure(f"cannot listen on {host}:{port}: {reason}") from exc
        # what start-up loaded lives as long as the server: kept out of the collector's full passes,
        # which then walk only what requests made (bench/scale.py: `dupes`' first page at 100,000
        # items, p95 200-225 ms before, 139 after)
        gc.freeze()
        message(f"serving {ws.location.root} at {server.url} (Ctrl-C to stop)")
        if not loopback(host):
            message("plain HTTP: put it behind an HTTPS proxy before anyone logs in over a network")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            message("stopped")
        finally:
            server.server_close()
