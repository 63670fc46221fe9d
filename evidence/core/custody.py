"""The custody chain's hashing rule: pure, so any third party can re-compute it.

hash(event) = SHA-256 of the canonical JSON of
{"seq", "at" (ISO-8601 UTC, microseconds, Z), "actor", "action", "subject", "details", "prev"}
plus "host" (the name of the machine the event was made on) when the event has one, with sorted keys,
no spaces, UTF-8. The first event's "prev" is 64 zeros. Events made before schema 0011 have no host
(NULL): their body has no "host" key, so they hash as they always did.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

GENESIS = "0" * 64


class CustodyAction(StrEnum):
    """What a custody event records. The values are stored and hashed: they never change."""

    INIT = "init"
    PRESERVE = "preserve"
    ACQUIRE = "acquire"
    ACQUISITION_CORRECT = "acquisition-correct"
    CAPTURE = "capture"
    ANALYSE = "analyse"
    SUGGEST_RELATION = "suggest-relation"
    CONFIRM_RELATION = "confirm-relation"
    REJECT_RELATION = "reject-relation"
    REINDEX = "reindex"
    TAG = "tag"
    UNTAG = "untag"
    DESCRIBE = "describe"
    DESCRIBE_WITHDRAW = "describe-withdraw"
    CLAIM = "claim"
    CLAIM_WITHDRAW = "claim-withdraw"
    CLAIMANT_ADD = "claimant-add"
    PLACE_ADD = "place-add"
    PLACE_LOCATE = "place-locate"
    TERM_ADD = "term-add"
    TERM_ALIAS = "term-alias"
    TERM_NOTE = "term-note"
    TERM_MOVE = "term-move"
    TERM_MERGE = "term-merge"
    VOCABULARY_IMPORT = "vocabulary-import"
    EXPORT = "export"
    VERIFY = "verify"
    FSCK_REPAIR = "fsck-repair"
    ANCHOR = "anchor"
    SEAL = "seal"
    CASE_NEW = "case-new"
    CASE_ADD = "case-add"
    CASE_REMOVE = "case-remove"
    UPGRADE = "upgrade"
    ACCOUNT_ADD = "account-add"
    ACCOUNT_CHANGE = "account-change"
    QUEUE = "queue"
    HASH_LIST_IMPORT = "hash-list-import"
    READ_TEXT = "read-text"


def format_time(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("custody times must be timezone-aware")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    details: dict[str, Any],
    prev: str,
    host: str | None = None,
) -> str:
    body: dict[str, Any] = {
        "seq": seq,
        "at": format_time(at),
        "actor": actor,
        "action": action,
        "subject": subject,
        "details": details,
        "prev": prev,
    }
    if host is not None:  # only events that name their host hash it: older ones verify unchanged
        body["host"] = host
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainRecord:
    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    details: dict[str, Any]
    prev_hash: str
    hash: str
    host: str | None = None  # the machine the event was made on (None before schema 0011)


@dataclass(frozen=True, slots=True)
class ChainProblem:
    seq: int
    kind: str  # "edited" | "gap" | "broken-link" | "out-of-order"
    message: str


def walk_chain(
    records: Iterable[ChainRecord], after: tuple[int, str] = (0, GENESIS)
) -> Iterator[ChainProblem]:
    """Re-compute every hash and link; yield each place where the chain does not hold. `after` is
    (seq, hash) of the event the records follow (none: they start the chain)."""
    expected_seq = after[0] + 1
    prev = after[1]
    for rec in records:
        if rec.seq != expected_seq:
            kind = "gap" if rec.seq > expected_seq else "out-of-order"
            yield ChainProblem(
                rec.seq, kind, f"custody event {rec.seq} follows {expected_seq - 1}: events are missing"
            )
        if rec.prev_hash != prev:
            yield _broken_link(rec.seq)
        yield from _edited(rec)
        prev = rec.hash
        expected_seq = rec.seq + 1


def _edited(rec: ChainRecord) -> Iterator[ChainProblem]:
    recomputed = event_hash(
        seq=rec.seq,
        at=rec.at,
        actor=rec.actor,
        action=rec.action,
        subject=rec.subject,
        details=rec.details,
        prev=rec.prev_hash,
        host=rec.host,
    )
    if recomputed != rec.hash:
        yield ChainProblem(
            rec.seq, "edited", f"custody event {rec.seq} does not match its hash (its contents were edited)"
        )


def check_in_place(
    rec: ChainRecord, before: str | None, next_prev: str | None, is_head: bool
) -> Iterator[ChainProblem]:
    """One event checked where it stands, without walking the chain: its hash, its link to the event
    before it (`before`: that event's stored hash; None when there is no event before it), and the
    link of the event after it (`next_prev`: what that event names as its previous hash; None when
    there is none, which holds only for the head)."""
    yield from _edited(rec)
    expected = GENESIS if rec.seq == 1 else before
    if expected is None:
        yield ChainProblem(
            rec.seq,
            "gap",
            f"custody event {rec.seq - 1}, before {rec.seq}, is missing: events are missing",
        )
    elif rec.prev_hash != expected:
        yield _broken_link(rec.seq)
    if next_prev is None and not is_head:
        yield ChainProblem(
            rec.seq + 1,
            "gap",
            f"custody event {rec.seq + 1}, after {rec.seq}, is missing: events are missing",
        )
    elif next_prev is not None and next_prev != rec.hash:
        yield _broken_link(rec.seq + 1)


def _broken_link(seq: int) -> ChainProblem:
    return ChainProblem(
        seq,
        "broken-link",
        f"custody event {seq} does not link to the event before it (deleted or reordered rows)",
    )
