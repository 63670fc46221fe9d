"""Entry point: `evidence` (the command-line contract is in docs/architecture.md)."""

from __future__ import annotations

# importing the command modules registers their commands
from evidence.cli import ingest, matching, setup  # noqa: F401
from evidence.cli.annotation import claims, tags, terms  # noqa: F401
from evidence.cli.app import app
from evidence.cli.browse import frames, items, provenance, search  # noqa: F401
from evidence.cli.exports import records, report  # noqa: F401
from evidence.cli.integrity import anchor, fsck, verify  # noqa: F401


def run() -> None:
    app()


if __name__ == "__main__":
    run()
