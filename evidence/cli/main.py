"""Entry point: `evidence` (the command-line contract is in docs/architecture.md)."""

from __future__ import annotations

from evidence.cli import (  # noqa: F401  (registers the commands)
    add,
    anchor,
    annotate,
    browse,
    claims,
    export,
    frames,
    fsck,
    matching,
    provenance,
    report,
    search,
    setup,
    terms,
    verify,
)
from evidence.cli.app import app


def run() -> None:
    app()


if __name__ == "__main__":
    run()
