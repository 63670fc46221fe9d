"""The state of a catalogue record as a digest, so that custody events can vouch for records.

Every custody event that creates or changes a record carries `"records": {"<kind>:<id>": <digest>}`
with the digest of that record's full state just after the change; an analysis event also carries
`"derived": <digest>` over the item's frames and fingerprints. `evidence verify` recomputes each
digest from the database and compares it with the newest event that recorded it, so a record edited,
deleted or planted behind the tool's back no longer matches the (hash-chained) log.

The rule, pure so that a third party can re-compute it:

    digest = SHA-256 over the canonical JSON of {"v": 1, "kind": kind, "state": state}

with sorted keys, no spaces, UTF-8, where `state` maps every column of the record to its value:
integers, strings, booleans and null as themselves; floats as JSON numbers (non-finite ones as the
strings "nan", "inf", "-inf"); times as ISO-8601 UTC with microseconds and `Z`; bytes as lower-case
hex; JSON columns as their parsed value, recursively normalised the same way.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from evidence.core.custody import format_time

DIGEST_VERSION = 1


def canonical(value: Any) -> Any:
    """A JSON value that stands for `value` the same way on every backend."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    raise TypeError(f"no canonical form for a {type(value).__name__} in a record")


def _sha256_json(body: Any) -> str:
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record_digest(kind: str, state: Mapping[str, Any]) -> str:
    """The digest of one record's full state."""
    return _sha256_json({"v": DIGEST_VERSION, "kind": kind, "state": canonical(dict(state))})


def derived_digest(frames: Iterable[Mapping[str, Any]]) -> str:
    """The digest of an item's derived data: its frames, each with its fingerprints, in frame order
    (the caller gives them sorted by index, the fingerprints sorted within each frame)."""
    return _sha256_json({"v": DIGEST_VERSION, "kind": "derived", "frames": canonical(list(frames))})


EMPTY_DERIVED = derived_digest([])


def record_key(kind: str, record_id: int) -> str:
    return f"{kind}:{record_id}"


def parse_key(key: str) -> tuple[str, int]:
    """("tag", 3) from "tag:3"; ValueError for anything else."""
    kind, _, number = key.partition(":")
    if not kind or not number.isdigit():
        raise ValueError(f"not a record key: {key!r}")
    return kind, int(number)


class Ledger:
    """What the custody events say the records are: for each record (and each item's derived data) the
    digest of the newest event that recorded it, gathered while the chain is walked."""

    def __init__(self) -> None:
        self.records: dict[str, tuple[int, str]] = {}
        self.derived: dict[str, tuple[int, str]] = {}
        self.first_subject: dict[str, str] = {}  # the subject of the event that first recorded a record

    def note(self, seq: int, subject: str, details: Mapping[str, Any]) -> None:
        for field, target in (("records", self.records), ("derived", self.derived)):
            given = details.get(field)
            if isinstance(given, Mapping):
                for key, digest in given.items():
                    if isinstance(key, str) and isinstance(digest, str):
                        target[key] = (seq, digest)
                        self.first_subject.setdefault(key, subject)


@dataclass(frozen=True, slots=True)
class Mismatch:
    key: str  # "tag:3"
    what: str  # "edited" | "missing" | "unlogged"
    seq: int | None  # the event that recorded the state, if any


def compare(
    recorded: Mapping[str, tuple[int, str]], actual: Iterable[tuple[str, str]], *, blank: str | None = None
) -> Iterator[Mismatch]:
    """Each record whose digest differs from the recorded one, that no event recorded, or that an event
    recorded and is gone. A record whose digest is `blank` (an item with no frames) needs no event."""
    unseen = dict(recorded)
    for key, digest in actual:
        logged = unseen.pop(key, None)
        if logged is None:
            if digest != blank:
                yield Mismatch(key, "unlogged", None)
        elif logged[1] != digest:
            yield Mismatch(key, "edited", logged[0])
    for key, (seq, digest) in unseen.items():
        if digest != blank:
            yield Mismatch(key, "missing", seq)
