"""`provenance` checks the custody chain for the item it is asked about without walking all of it
(`catalogue/chaincheck.py`): it walks what came after the newest clean `verify`, and checks the item's
own earlier events where they stand. Every way of changing the item's events is still caught; an edit
elsewhere before that verify is left to the next `verify`, and the document says what was checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import Catalogue
from library import ACTOR, add_one_file, head_seq, opened
from tampering import chain, edit_actor, rewrite, tamper

from evidence.browse.provenance import provenance
from evidence.integrity.verify import verify
from evidence.workspace import Workspace


def _add(cat: Catalogue, ws: Workspace, name: str) -> Any:
    path = cat.home / name
    path.write_text(f"{name}\n" * 40)
    return add_one_file(ws, path, analyse=False)


def _chain(ws: Workspace, item_id: int) -> dict[str, Any]:
    doc: dict[str, Any] = provenance(ws, str(item_id)).to_json()["chain"]
    return doc


def _events_of(cat: Catalogue, sha: str) -> list[int]:
    return [r.seq for r in chain(cat) if r.subject == f"item:{sha}"]


@pytest.fixture
def three(catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    with opened(catalogue, monkeypatch) as ws:
        a = _add(catalogue, ws, "a.txt")
        _add(catalogue, ws, "between.txt")  # so that a's and b's events are not next to each other
        b = _add(catalogue, ws, "b.txt")
        yield catalogue, ws, a, b


def test_without_a_clean_verify_the_whole_chain_is_walked(three: Any) -> None:
    _cat, ws, a, _b = three
    doc = _chain(ws, a.id)
    assert doc["ok"] is True and doc["verified"] is None and doc["walked_from"] == 1
    assert doc["events_checked"] == head_seq(ws) and "whole chain" in doc["scope"]


def test_after_a_clean_verify_only_the_rest_is_walked(three: Any) -> None:
    cat, ws, a, _b = three
    assert verify(ws, actor=ACTOR).ok
    verified = head_seq(ws)
    later = _add(cat, ws, "c.txt")
    doc = _chain(ws, a.id)
    assert doc["ok"] is True and doc["verified"]["seq"] == verified
    assert doc["walked_from"] == verified  # the verify walked every event before its own
    own = _events_of(cat, a.sha256)
    assert doc["events_checked"] == (head_seq(ws) - verified + 1) + len(own)
    assert f"event {verified}" in doc["scope"] and later.id


@pytest.mark.parametrize("how", ["edited", "rehashed", "deleted-after", "deleted-before"])
def test_a_change_to_the_items_events_before_the_verify_is_caught(three: Any, how: str) -> None:
    cat, ws, a, b = three
    assert verify(ws, actor=ACTOR).ok
    first, last = _events_of(cat, a.sha256)[0], _events_of(cat, a.sha256)[-1]
    assert _events_of(cat, b.sha256)[0] > last + 2  # b's events come after a's, apart from them
    if how == "edited":
        tamper(cat, edit_actor(first))
        expected = ("edited", first)
    elif how == "rehashed":
        # its own hash recomputed, the event after it (another item's) left naming the old one
        rewrite(cat, last, lambda r: {**r.details, "note": "forged"}, relink=False)
        expected = ("broken-link", last + 1)
    elif how == "deleted-after":
        tamper(cat, [("DELETE FROM event WHERE seq = :s", {"s": last + 1})])
        expected = ("gap", last + 1)
    else:
        assert first > 1
        tamper(cat, [("DELETE FROM event WHERE seq = :s", {"s": first - 1})])
        expected = ("gap", first)  # reported at the event whose predecessor is gone, as `verify` does
    doc = _chain(ws, a.id)
    assert doc["ok"] is False
    assert any(p.startswith(f"chain {expected[0]} at event {expected[1]}:") for p in doc["problems"]), doc
    # b's events are not touched and came after the change: only `verify` walks everything
    assert _chain(ws, b.id)["ok"] is True
    assert verify(ws, actor=ACTOR).ok is False
    # that verify found problems: from now on provenance walks the whole chain again
    again = _chain(ws, b.id)
    assert again["ok"] is False and again["verified"] is None and again["walked_from"] == 1


def test_a_change_after_the_verify_is_caught_for_every_item(three: Any) -> None:
    cat, ws, a, b = three
    assert verify(ws, actor=ACTOR).ok
    later = _add(cat, ws, "c.txt")
    tamper(cat, edit_actor(_events_of(cat, later.sha256)[0]))
    for item in (a, b):
        doc = _chain(ws, item.id)
        assert doc["ok"] is False and any("edited" in p for p in doc["problems"])
