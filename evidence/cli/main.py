"""Entry point: `evidence` (see DESIGN.md for the command-line contract)."""

from __future__ import annotations

from evidence.cli import add, browse, frames, matching, setup, verify  # noqa: F401  (registers the commands)
from evidence.cli.app import app


def run() -> None:
    app()


if __name__ == "__main__":
    run()
