"""Rendering helpers shared by the commands: stdout for results, stderr for everything else."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Collection, Sequence
from typing import Any

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from evidence.core.bounds import whole
from evidence.core.names import HashVariant
from evidence.core.text import human_size as human_size  # used by the commands that print sizes
from evidence.core.text import printable
from evidence.errors import UsageError


def stdout() -> Console:
    """The console for results: the terminal's width, or `COLUMNS`, or 200 columns into a pipe."""
    console = Console(highlight=False, soft_wrap=False)
    if not console.is_terminal and not os.environ.get("COLUMNS", "").isdigit():
        console = Console(highlight=False, width=200)
    return console


def print_table(
    titles: Sequence[str],
    rows: Sequence[Sequence[Any]],  # each cell a str or a rich Text
    *,
    whole: Collection[str] = (),
    optional: Sequence[str] = (),
) -> None:
    """Print a results table that fits the width it is printed in: the `whole` columns (ids, hashes,
    times) keep their full width, the others share what is left in proportion to what they hold, and
    a cell too long for its column is cut with an ellipsis (…) instead of wrapping mid-word; when even
    that does not fit, the `optional` columns are left out, the last named first. `--json` always has
    every value in full."""
    console = stdout()
    keep = list(range(len(titles)))
    natural = [max([cell_len(t), *(_width(row[n]) for row in rows)]) for n, t in enumerate(titles)]
    floor = [natural[n] if titles[n] in whole else min(natural[n], FLOOR) for n in range(len(titles))]
    dropping = [titles.index(t) for t in reversed(optional) if t in titles]
    while sum(floor[n] for n in keep) + 3 * (len(keep) - 1) + 1 > console.width and dropping:
        keep.remove(dropping.pop(0))
    room = console.width - 3 * (len(keep) - 1) - 1  # " │ " between columns, one spare column
    widths = {n: natural[n] for n in keep}
    shrinking = [n for n in keep if titles[n] not in whole]
    over = sum(natural[n] for n in keep) - room
    if over > 0 and shrinking:
        give = sum(natural[n] - floor[n] for n in shrinking)
        for n in shrinking:
            widths[n] = natural[n] - -(-(natural[n] - floor[n]) * over // max(1, give))
    out = Table(show_edge=False, pad_edge=False)
    for n in keep:
        out.add_column(titles[n], width=max(1, widths[n]), no_wrap=True, overflow="ellipsis")
    for row in rows:
        out.add_row(*(row[n] for n in keep))
    console.print(out)


FLOOR = 6  # the narrowest a shortened column gets


def _width(value: Any) -> int:
    return value.cell_len if isinstance(value, Text) else cell_len(str(value))


def stderr() -> Console:
    return Console(stderr=True, highlight=False)


def message(text: str) -> None:
    """One line for the user on stderr, with outside text already made printable by the caller."""
    sys.stderr.write(text + "\n")


PAGE = 50
"""What `search` and `dupes` show unless told otherwise (`--limit N`, `--all`)."""


def page_limit(limit: int | None, every: bool) -> int | None:
    """The most a listing shows: `--limit N`, else every one with `--all`, else `PAGE`."""
    if every and limit is not None:
        raise UsageError("say --limit N or --all, not both")
    return None if every else (PAGE if limit is None else whole(limit, "--limit", minimum=1))


def count_line(shown: int, noun: str, more: bool) -> str:
    """A listing's closing line: how many it shows and, when it stopped at its limit, how to see
    the rest."""
    if not more:
        return f"{shown} {noun}"
    return f"{shown} {noun} shown; there are more (--limit N shows N, --all every one)"


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


def known_json(hit: Any) -> dict[str, Any]:
    """A KnownHit (`catalogue.known`): an entry of a partner's hash list that frames match."""
    return dict(hit.to_json())


def known_line(hit: Any) -> str:
    there = f" at {hit.list_t:.2f} s" if hit.list_t is not None else ""
    frames = f", {hit.frames} frames" if hit.frames > 1 else ""
    return (
        f"known: on hash list {printable(hit.list_name)} as {printable(hit.label)}{there}  "
        f"(frame at {hit.query_t:.2f} s here, distance {hit.distance}{frames})"
    )


class BarProgress:
    """The command line's progress display (`evidence.core.progress.Progress`): one transient bar on
    stderr, only on a terminal. It appears once there are several things, or at least `min_bytes`;
    `stage` names what is being done (a file, "analysing …") and pulses when there is no byte count."""

    def __init__(self, label: str, *, min_bytes: int = 0, show: bool = True) -> None:
        console = stderr()
        self._label = label
        self._min_bytes = min_bytes
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=not (show and console.is_terminal),
        )
        self._task: TaskID | None = None

    def __enter__(self) -> BarProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()

    def start(self, items: int, total_bytes: int) -> None:
        if items > 1 or total_bytes >= self._min_bytes:
            self._bar.start()
            self._task = self._bar.add_task(self._label, total=total_bytes)

    def advance(self, nbytes: int) -> None:
        if self._task is not None:
            self._bar.advance(self._task, nbytes)

    def stage(self, text: str) -> None:
        if self._bar.disable:
            return
        if self._task is None:
            self._bar.start()
            self._task = self._bar.add_task(text[-60:], total=None)
        else:
            self._bar.update(self._task, description=text[-60:])

    def file_started(self, path: str, size: int) -> None:
        if self._task is not None:
            self._bar.update(self._task, description=path[-40:])

    def file_done(self, result: object) -> None:
        pass
