"""`dupes` and provenance read which items are one footage from the relations stored: a compilation
that holds an excerpt already one with its source stays out of the source's cluster, and a holder that
also runs over most of the source (a `partial` relation over most of both) joins it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from conftest import Catalogue
from library import opened

from evidence.catalogue.models import Item, Relation
from evidence.catalogue.provenance import cluster_of
from evidence.matching.match import duplicate_clusters
from evidence.workspace import Workspace


@pytest.fixture
def ws(catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    with opened(catalogue, monkeypatch) as workspace:
        yield workspace


def _items(ws: Workspace, names: list[str]) -> dict[str, int]:
    with ws.db.write() as session:
        rows = {
            n: Item(
                sha256=hashlib.sha256(n.encode()).hexdigest(),
                size=1,
                kind="video",
                first_catalogued_at=datetime(2026, 1, 1 + i, tzinfo=UTC),
            )
            for i, n in enumerate(names)
        }
        session.add_all(rows.values())
        session.flush()
        return {n: r.id for n, r in rows.items()}


def _relate(ws: Workspace, a: int, b: int, kind: str, a_share: float, b_share: float) -> None:
    """A suggested relation as the matcher leaves it, `a` the query (its share first)."""
    low, high = sorted((a, b))
    flipped = {"contains": "excerpt-of", "excerpt-of": "contains"}.get(kind, kind) if a > b else kind
    evidence = {"query_share": a_share, "target_share": b_share}
    with ws.db.write() as session:
        session.add(
            Relation(a_id=low, b_id=high, kind=flipped, evidence=evidence, created_at=datetime.now(UTC))
        )


def _clusters(ws: Workspace) -> list[set[int]]:
    return [{i.id for i in c} for c in duplicate_clusters(ws)]


def test_a_compilation_and_a_reposted_copy_each_holding_the_excerpt(ws: Workspace) -> None:
    ids = _items(ws, ["source", "copy", "excerpt", "compilation", "orientation"])
    source, copy, excerpt, compilation, orientation = ids.values()
    _relate(ws, copy, source, "duplicate", 1.0, 1.0)
    _relate(ws, excerpt, copy, "duplicate", 1.0, 0.9)  # a still scene: the excerpt looks like all of it
    _relate(ws, excerpt, source, "excerpt-of", 1.0, 0.3)
    _relate(ws, compilation, excerpt, "contains", 0.24, 1.0)
    _relate(ws, compilation, source, "partial", 0.2, 0.2)
    assert _clusters(ws) == [{source, copy, excerpt}]
    with ws.db.read() as session:
        assert cluster_of(session, source)[0] == {source, copy, excerpt}
        assert cluster_of(session, compilation) == ({compilation}, {excerpt, source})

    _relate(ws, orientation, excerpt, "contains", 0.35, 1.0)
    _relate(ws, orientation, source, "partial", 0.65, 0.65)
    assert _clusters(ws) == [{source, copy, excerpt, orientation}]
    with ws.db.read() as session:
        assert cluster_of(session, orientation)[0] == {source, copy, excerpt, orientation}
