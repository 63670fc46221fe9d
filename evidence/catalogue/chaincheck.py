"""The custody chain checked for one question (`evidence provenance`, `evidence report`) without
walking all of it, so that the answer costs what the question touches and not the catalogue's age:

- the events after the newest `evidence verify` are walked, from the last event that verify walked,
  when that verify found nothing wrong; without such a verify, the whole chain is walked;
- the events about the items asked about that came before it are each checked where they stand:
  re-hashed, linked to the event before them, and linked to by the event after them.

What this leaves to `evidence verify` (which walks everything, every time): an event before that verify
that is about other items, edited or deleted since. Nothing is written."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.catalogue import custody
from evidence.catalogue.among import among
from evidence.catalogue.models import Event
from evidence.core.custody import (
    GENESIS,
    ChainProblem,
    ChainRecord,
    CustodyAction,
    check_in_place,
    walk_chain,
)
from evidence.core.timeutil import iso


@dataclass(frozen=True)
class ChainCheck:
    problems: list[ChainProblem]
    walked_from: int  # the first event walked (1: the whole chain)
    walked: int  # events walked from there to the head
    in_place: int  # events before that checked where they stand
    verified: Event | None  # the clean `verify` event the walk started after

    @property
    def events_checked(self) -> int:
        return self.walked + self.in_place

    def scope(self) -> str:
        """What was checked, in words."""
        if self.verified is None:
            return f"the whole chain walked ({self.walked:,} events)"
        verify = self.verified
        return (
            f"{self.walked:,} events walked from event {self.walked_from:,}, after the clean "
            f"`evidence verify` of {iso(verify.at)} (event {verify.seq:,}, which walked every event before "
            f"it), and {self.in_place:,} earlier events of these items checked in place"
        )

    def to_json(self) -> dict[str, object]:
        """What was checked, for the `chain` of a provenance document (beside its `events_checked`)."""
        return {
            "walked_from": self.walked_from,
            "verified": None
            if self.verified is None
            else {"seq": self.verified.seq, "at": iso(self.verified.at), "actor": self.verified.actor},
            "scope": self.scope(),
        }


def last_clean_verify(session: Session) -> tuple[int, str, Event] | None:
    """The newest `verify` event when it found nothing wrong: (the last event it walked, that event's
    hash, the verify event). None when the newest verify found problems, or there is none."""
    newest = session.scalars(
        select(Event)
        .where(Event.subject == "catalogue", Event.action == CustodyAction.VERIFY.value)
        .order_by(Event.seq.desc())
        .limit(1)
    ).first()
    details = newest.details if newest is not None else None
    if newest is None or not isinstance(details, dict) or details.get("ok") is not True:
        return None
    reached = details.get("events_checked")
    if isinstance(reached, bool) or not isinstance(reached, int) or not 1 <= reached < newest.seq:
        return None
    reached_hash = session.scalar(select(Event.hash).where(Event.seq == reached))
    return None if reached_hash is None else (reached, reached_hash, newest)


def check_chain(session: Session, events: Iterable[Event], head: Event | None) -> ChainCheck:
    """The chain checked for these events (see the module's docstring); `head` is the log's head as
    the caller read it in this transaction."""
    start = last_clean_verify(session)
    after = (0, GENESIS) if start is None else (start[0], start[1])
    counted = _Counted(custody.records(session, after=after[0]))
    problems = list(walk_chain(counted, after))
    earlier = sorted({e.seq: e for e in events if e.seq <= after[0]}.values(), key=lambda e: e.seq)
    if earlier:
        around = {e.seq - 1 for e in earlier} | {e.seq + 1 for e in earlier}
        rows = session.execute(select(Event.seq, Event.prev_hash, Event.hash).where(among(Event.seq, around)))
        links = {seq: (prev, own) for seq, prev, own in rows}
        for event in earlier:
            before = links[event.seq - 1][1] if event.seq - 1 in links else None
            next_prev = links[event.seq + 1][0] if event.seq + 1 in links else None
            is_head = head is not None and event.seq == head.seq
            problems += check_in_place(custody.to_record(event), before, next_prev, is_head)
    unique = list({(p.seq, p.kind, p.message): p for p in problems}.values())
    return ChainCheck(
        problems=sorted(unique, key=lambda p: p.seq),
        walked_from=after[0] + 1,
        walked=counted.count,
        in_place=len(earlier),
        verified=None if start is None else start[2],
    )


class _Counted:
    def __init__(self, records: Iterator[ChainRecord]) -> None:
        self._records = records
        self.count = 0

    def __iter__(self) -> Iterator[ChainRecord]:
        for record in self._records:
            self.count += 1
            yield record
