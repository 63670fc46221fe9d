"""Use case: `evidence anchor` — the custody chain's head as one line a third party can keep — and the
check behind `evidence verify --anchor FILE` that the catalogue still extends an anchor.

An anchor names one event: `evidence-anchor v1 seq=N hash=<hex> at=<time>`. Every event's hash covers
the hash of the event before it, so the hash of event N fixes events 1..N. Whoever holds the database
can rewrite an old event and recompute every later hash, and the chain then walks cleanly on its own;
what they cannot do is make event N hash to the anchored value again. A catalogue extends an anchor
when its chain walks cleanly from the first event through event N and event N still has the anchored
hash (and time). Keep anchors outside the catalogue: mail one to a colleague, file it with a court,
print it, timestamp it.

The anchor names the last event of a clean walk of the chain (the head when the command ran); the
`anchor` event that records it is logged afterwards, so the head moves on by one and the log itself
says when each anchor was taken. With time-stamping authorities (`--tsa`), their signed tokens over
the line are asked for first and kept in that event (`integrity/timestamps.py`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509

from evidence.catalogue import custody
from evidence.catalogue.timestamps import stamp_details, stamped_bytes
from evidence.core.custody import ChainProblem, ChainRecord, CustodyAction, format_time, walk_chain
from evidence.core.text import printable
from evidence.errors import IntegrityFailure, UsageError
from evidence.integrity.timestamps import Stamp, ask, check_tsa_url
from evidence.store.files import read_small
from evidence.workspace import Workspace

ANCHOR_VERSION = "evidence-anchor v1"
_LINE = re.compile(r"evidence-anchor v1 seq=(\d+) hash=([0-9a-f]{64}) at=(\S+)")
MAX_ANCHOR_FILE = 1 << 20


@dataclass(frozen=True, slots=True)
class Anchor:
    seq: int
    hash: str
    at: str  # the event's time exactly as its hash covers it (ISO-8601 UTC, microseconds, Z)

    @property
    def line(self) -> str:
        return f"{ANCHOR_VERSION} seq={self.seq} hash={self.hash} at={self.at}"

    @staticmethod
    def of(record: ChainRecord) -> Anchor:
        return Anchor(record.seq, record.hash, format_time(record.at))


def parse_anchor(text: str) -> Anchor:
    """The first anchor line in `text` (it may sit in a mail or a note among other lines)."""
    for line in text.splitlines():
        found = _LINE.search(line.strip())
        if found is not None:
            return Anchor(int(found.group(1)), found.group(2), found.group(3))
    raise UsageError(
        f"no anchor found: expected a line like `{ANCHOR_VERSION} seq=N hash=<64 hex> at=<time>` "
        "(as printed by `evidence anchor`)"
    )


def read_anchor(path: Path) -> Anchor:
    data = read_small(path, MAX_ANCHOR_FILE, f"the anchor file {printable(str(path))}", first_only=True)
    try:
        return parse_anchor(data.decode("utf-8", "replace"))
    except UsageError as exc:
        raise UsageError(f"{printable(str(path))}: {exc.message}") from exc


@dataclass
class ChainWalk:
    """One pass over the custody chain: its problems, how many events, the last one, and the one an
    anchor names (when asked for)."""

    problems: list[ChainProblem] = field(default_factory=list)
    events: int = 0
    head: ChainRecord | None = None
    anchored: ChainRecord | None = None


def walk(records: Iterable[ChainRecord], anchor_seq: int | None = None) -> ChainWalk:
    result = ChainWalk()

    def follow() -> Iterator[ChainRecord]:
        for record in records:
            result.events += 1
            result.head = record
            if record.seq == anchor_seq and result.anchored is None:
                result.anchored = record
            yield record

    result.problems.extend(walk_chain(follow()))
    return result


def check_anchor(anchor: Anchor, chain: ChainWalk) -> list[str]:
    """Why the chain does not extend the anchor; empty when it does."""
    found = chain.anchored
    head_seq = chain.head.seq if chain.head is not None else 0
    if found is None:
        if head_seq < anchor.seq:
            return [
                f"the anchor names custody event {anchor.seq} but the chain now ends at event "
                f"{head_seq}: events were deleted since the anchor was taken (or the anchor is "
                "another catalogue's)"
            ]
        return [f"custody event {anchor.seq}, named by the anchor, is missing from the chain"]
    reasons = []
    if found.hash != anchor.hash or format_time(found.at) != anchor.at:
        reasons.append(
            f"custody event {anchor.seq} no longer has the anchored hash {anchor.hash[:16]}… "
            f"(now {found.hash[:16]}…): the history up to the anchor was rewritten (or the anchor is "
            "another catalogue's)"
        )
    before = [p for p in chain.problems if p.seq <= anchor.seq]
    if before:
        reasons.append(
            f"the chain does not walk cleanly up to the anchored event {anchor.seq} (first problem at "
            f"event {before[0].seq}): the history before the anchor was altered"
        )
    return reasons


@dataclass(frozen=True, slots=True)
class AnchorResult:
    anchor: Anchor
    events: int  # events walked: the first through the anchored one
    logged_seq: int  # the `anchor` event that records it
    file: Path | None
    stamps: tuple[Stamp, ...] = ()  # the time-stamping authorities' tokens over the line
    stamp_files: tuple[Path, ...] = ()  # each reply saved beside `file` (`FILE.1.tsr`, …)


def take_anchor(
    ws: Workspace,
    *,
    actor: str,
    output: Path | None = None,
    tsa: Sequence[str] = (),
    timeout: float = 30.0,
    roots: Sequence[x509.Certificate] = (),
) -> AnchorResult:
    """Walk the chain; if it is clean, name its last event, ask each time-stamping authority in `tsa`
    for an RFC 3161 token over the line (`integrity.timestamps`: all must answer, and with `roots`
    verify, or nothing is written), save the line to `output` and each reply beside it (atomically,
    never inside the catalogue) and log an `anchor` event recording the line and the replies. A broken
    chain is refused (exit 5): an anchor vouches for the history before it."""
    urls = [check_tsa_url(url) for url in tsa]
    with ws.db.read() as session:
        chain = walk(custody.records(session))
    if chain.problems:
        first = chain.problems[0]
        raise IntegrityFailure(
            f"the custody chain does not walk cleanly ({first.message}; {len(chain.problems)} "
            "problems): no anchor was taken; run `evidence verify`"
        )
    if chain.head is None:
        raise IntegrityFailure("the custody log is empty: no anchor was taken; run `evidence verify`")
    anchor = Anchor.of(chain.head)
    stamps = tuple(ask(url, anchor.line, timeout=timeout, roots=roots) for url in urls)
    files: list[Path] = []
    if output is not None:
        ws.write_output(stamped_bytes(anchor.line), output)
        for n, stamp in enumerate(stamps, 1):
            files.append(output.with_name(f"{output.name}.{n}.tsr"))
            ws.write_output(stamp.reply, files[-1])
    with ws.db.write() as session:
        logged = custody.append(
            session,
            actor=actor,
            action=CustodyAction.ANCHOR,
            subject="catalogue",
            details={
                "seq": anchor.seq,
                "hash": anchor.hash,
                "at": anchor.at,
                "events": chain.events,
                "anchor": anchor.line,
                "file": None if output is None else str(output.resolve()),
                **(
                    {
                        "timestamps": [
                            stamp_details(s.tsa, s.reply, s.gen_time, s.tsa_name, s.serial) for s in stamps
                        ]
                    }
                    if stamps
                    else {}
                ),
            },
        )
        logged_seq = logged.seq
    return AnchorResult(anchor, chain.events, logged_seq, output, stamps, tuple(files))
