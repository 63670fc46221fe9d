"""The item list a page at a time (`browse.cards.item_cards`, the web list): every page holds the
next items in catalogue order with their first acquisition's original name, `more` says whether a page
follows, and a page past the end is empty."""

from __future__ import annotations

import pytest
from conftest import Catalogue
from library import add_one_file, opened

from evidence.browse import cards


def test_pages_hold_the_items_in_order(catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cards, "PAGE", 2)
    with opened(catalogue, monkeypatch) as ws:
        added = []
        for n in range(5):
            path = catalogue.home / f"note-{n}.txt"
            path.write_text(f"note {n}\n" * 20)
            added.append(add_one_file(ws, path, analyse=False).id)
        seen = []
        for number, (size, more) in enumerate([(2, True), (2, True), (1, False), (0, False)], start=1):
            page = cards.item_cards(ws, page=number)
            assert (len(page.cards), page.more, page.page) == (size, more, number)
            seen += [(card.item.id, card.original_name) for card in page.cards]
        assert seen == [(item_id, f"note-{n}.txt") for n, item_id in enumerate(added)]
