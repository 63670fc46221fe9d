"""Shared by the library-level tests (tests/<feature>/test_<feature>_library.py): open a test catalogue as
a `Workspace`, as the CLI does but without it, and read what its custody log recorded."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import Catalogue

from evidence.catalogue import custody
from evidence.core.custody import ChainRecord
from evidence.ingest.add import AddOptions, FileResult, add_paths
from evidence.workspace import Workspace, open_workspace

ACTOR = "analyst"


@contextmanager
def opened(cat: Catalogue, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    """The catalogue as a Workspace on its backend (PostgreSQL catalogues are found through the
    environment, as the CLI finds them)."""
    monkeypatch.setenv("EVIDENCE_DATABASE_URL", cat.url)
    monkeypatch.delenv("EVIDENCE_CATALOGUE", raising=False)
    with open_workspace(cat.root) as ws:
        yield ws


def served_pages(cat: Catalogue, monkeypatch: pytest.MonkeyPatch, *paths: str) -> list[str]:
    """The pages `evidence serve` gives for these paths (its server on 127.0.0.1, started and stopped)."""
    import http.client

    from evidence.web.app import running

    pages = []
    with opened(cat, monkeypatch) as ws, running(ws, actor="tester") as server:
        host, port = server.server_address[:2]
        connection = http.client.HTTPConnection(str(host), port, timeout=30)
        try:
            for path in paths:
                connection.request("GET", path)
                pages.append(connection.getresponse().read().decode())
        finally:
            connection.close()
    return pages


def events(ws: Workspace, *, after: int = 0) -> list[ChainRecord]:
    """The custody events with a seq above `after`, in order."""
    with ws.db.read() as session:
        return [r for r in custody.records(session) if r.seq > after]


def head_seq(ws: Workspace) -> int:
    with ws.db.read() as session:
        head = custody.head(session)
        return head.seq if head is not None else 0


def actions(ws: Workspace, *, after: int = 0) -> list[tuple[str, str]]:
    """(action, subject) of the events after `after`."""
    return [(r.action, r.subject) for r in events(ws, after=after)]


def add_one_file(ws: Workspace, path: Path, **options: object) -> FileResult:
    """Add one file through the library (analysed and matched unless told otherwise); it must be new."""
    report = add_paths(ws, [path], AddOptions(actor=ACTOR, **options))  # type: ignore[arg-type]
    [result] = report.results
    assert result.status == "added", result
    return result


def read_only(path: Path) -> bool:
    return not os.stat(path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
