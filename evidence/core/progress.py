"""The one way long work reports progress: how many things and bytes there are, bytes as they pass, and
what is being done when there is no byte count (analysing a long video). The command line draws it as
one Rich bar on stderr (`evidence.cli.output.BarProgress`); library callers pass nothing (`SILENT`)."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def start(self, items: int, total_bytes: int) -> None: ...
    def advance(self, nbytes: int) -> None: ...
    def stage(self, text: str) -> None: ...


class Silent:
    """Progress that shows nothing."""

    def start(self, items: int, total_bytes: int) -> None:
        pass

    def advance(self, nbytes: int) -> None:
        pass

    def stage(self, text: str) -> None:
        pass


SILENT = Silent()
