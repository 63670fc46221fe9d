"""`read_ahead`: frames decoded on a thread of their own reach the caller in order, a decoding error
reaches it where it happened, and leaving early stops the decoding before the container is closed."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from evidence.media.video.read_ahead import read_ahead


def _decoding_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "decode"]


def test_every_item_arrives_in_order_and_the_thread_is_gone_after() -> None:
    with read_ahead(iter(range(500)), depth=3) as items:
        assert list(items) == list(range(500))
    assert _decoding_threads() == []


def test_an_error_of_the_decoding_is_raised_in_the_caller_after_the_items_before_it() -> None:
    def failing() -> Iterator[int]:
        yield from range(5)
        raise ValueError("corrupt packet")

    got: list[int] = []
    with pytest.raises(ValueError, match="corrupt packet"), read_ahead(failing(), depth=2) as items:
        got.extend(items)
    assert got == [0, 1, 2, 3, 4]
    assert _decoding_threads() == []


def test_leaving_early_stops_the_decoding_and_closes_it_before_the_block_ends() -> None:
    made: list[int] = []
    closed = threading.Event()

    def endless() -> Iterator[int]:
        try:
            n = 0
            while True:
                made.append(n)
                yield n
                n += 1
        finally:
            closed.set()

    with read_ahead(endless(), depth=4) as items:
        for item in items:
            if item == 10:
                break
    # the source is closed and no longer advanced once the block is left (the container may go)
    assert closed.is_set() and _decoding_threads() == []
    assert len(made) <= 10 + 1 + 4 + 1  # what was taken, the queue's depth, and one in hand
