"""What a long-running reader (`evidence serve`) derives from a state of the catalogue, kept between its
read transactions while the custody log's head is the same: every change to the records writes a
custody event in its own transaction, so an unchanged head is an unchanged catalogue. Used only where
the read transaction allows it (`Database.reuse_between_reads`, `session.info["reuse"]`); elsewhere the
value is derived afresh each time. What is kept is shared between threads: callers never change it."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy.orm import Session

from evidence.catalogue import custody


class PerHead[T]:
    """One derived value per database, recomputed when the custody log's head moves."""

    def __init__(self, derive: Callable[[Session], T]) -> None:
        self._derive = derive
        self._kept: dict[str, tuple[tuple[int, str], T]] = {}
        self._lock = threading.Lock()

    def get(self, session: Session) -> T:
        if not session.info.get("reuse"):
            return self._derive(session)
        event = custody.head(session)
        key = (event.seq, event.hash) if event is not None else (0, "")
        where = str(session.get_bind().engine.url)
        with self._lock:
            found = self._kept.get(where)
        if found is not None and found[0] == key:
            return found[1]
        value = self._derive(session)
        with self._lock:
            self._kept[where] = (key, value)
        return value
