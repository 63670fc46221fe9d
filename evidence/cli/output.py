"""Rendering helpers shared by the commands: stdout for results, stderr for everything else."""

from __future__ import annotations

import json
import sys
from typing import Any

import typer
from rich.console import Console
from rich.text import Text

from evidence.core.names import HashVariant
from evidence.core.text import human_size as human_size  # used by the commands that print sizes
from evidence.core.text import printable


def stdout() -> Console:
    console = Console(highlight=False, soft_wrap=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=200)
    return console


def stderr() -> Console:
    return Console(stderr=True, highlight=False)


def message(text: str) -> None:
    """One line for the user on stderr, with outside text already made printable by the caller."""
    sys.stderr.write(text + "\n")


def emit_json(document: dict[str, Any]) -> None:
    typer.echo(json.dumps(document, ensure_ascii=False, indent=2, default=str))


def cell(value: object) -> Text:
    """A table cell that shows outside text literally (no Rich markup, no control characters)."""
    return Text("" if value is None else printable(str(value)))


def human_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    total = round(seconds, 2)
    minutes, secs = divmod(total, 60)
    hours, minutes = divmod(int(minutes), 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:05.2f}"
    return f"{minutes}:{secs:05.2f}"


def match_json(found: Any) -> dict[str, Any]:
    """A FoundMatch as the JSON contract has it (`id`, `sha256`, `score`) with its evidence."""
    from evidence.matching.relations import match_evidence

    m = found.match
    return {
        "id": m.item_id,
        "sha256": found.sha256,
        "score": m.score,
        "classification": m.classification,
        **match_evidence(m),
    }


def match_line(found: Any) -> str:
    m = found.match
    offsets = ", ".join(f"{o:+.2f}s" for o in m.offsets)
    via = "" if m.via == (HashVariant.CANONICAL,) else f"  via {'/'.join(m.via)}"
    return (
        f"{m.classification} of #{m.item_id} {found.sha256[:12]}  score {m.score:.2f}  "
        f"(query {m.query_share:.0%}, target {m.target_share:.0%}, offset {offsets}){via}"
    )
