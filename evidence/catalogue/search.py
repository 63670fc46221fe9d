"""The queries behind `evidence search`: item ids by tag, claimant, place, text and date, and the hits
with what matched. User text is always a bound parameter; in substring matches `%`, `_` and the
escape character are escaped so they match only themselves; case is ignored (Unicode case on both
backends: SQLite gets a Python `lower` function, PostgreSQL has its own). Functions take a Session
and never commit."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from evidence.catalogue import queries, withdrawals
from evidence.catalogue.among import among
from evidence.catalogue.annotation_models import (
    Annotation,
    Claim,
    Claimant,
    ClaimItem,
    Description,
    Place,
)
from evidence.catalogue.models import Acquisition, FrameText, Item
from evidence.core.text import strings_in
from evidence.core.timeutil import as_given, iso
from evidence.core.vocab import Vocabulary

ESCAPE = "\\"


# a query for item ids, used as `Item.id IN (…)`
IdQuery = Select[Any] | CompoundSelect[Any]


@dataclass(frozen=True, slots=True)
class SearchHit:
    item: Item
    original_name: str | None
    posted_at: datetime | None
    posted_precision: str | None = None  # "day" when a date was given, and so on
    matched_terms: tuple[str, ...] = ()
    claimants: tuple[str, ...] = ()  # who asserts something about it
    disputers: tuple[str, ...] = ()  # who disputes a claim about it
    dates: tuple[str, ...] = ()  # in a dated search, the dates that fell in its window, and what they are


def like_pattern(text: str) -> str:
    """`%text%` with the LIKE wildcards in `text` escaped (used with ESCAPE '\\')."""
    escaped = text.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")
    return f"%{escaped}%"


class Matcher:
    """Builds case-insensitive literal substring conditions for the session's backend."""

    def __init__(self, session: Session) -> None:
        self.sqlite = session.get_bind().dialect.name == "sqlite"

    def lower(self, column: Any) -> Any:
        return func.evidence_lower(column) if self.sqlite else func.lower(column)

    def contains(self, column: Any, text: str) -> ColumnElement[bool]:
        condition: ColumnElement[bool] = self.lower(column).like(like_pattern(text.lower()), escape=ESCAPE)
        return condition


def _standing() -> ColumnElement[bool]:
    """A claim counts: it has not been withdrawn."""
    return withdrawals.standing("claim", Claim.id)


def _standing_acquisition() -> ColumnElement[bool]:
    """An acquisition counts: it has not been corrected since."""
    return withdrawals.standing("acquisition", Acquisition.id)


def tagged(term_ids: set[int]) -> IdQuery:
    return select(Annotation.item_id).where(
        among(Annotation.term_id, term_ids), withdrawals.standing("tag", Annotation.id)
    )


def _by_claimant(m: Matcher, who: str, *, disputing: bool) -> Select[Any]:
    stance = Claim.counters_id.is_not(None) if disputing else Claim.counters_id.is_(None)
    return (
        select(ClaimItem.item_id)
        .join(Claim, Claim.id == ClaimItem.claim_id)
        .join(Claimant, Claimant.id == Claim.claimant_id)
        .where(m.contains(Claimant.name, who), stance, _standing())
    )


def claimed_by(m: Matcher, who: str) -> IdQuery:
    """Items a claim of this claimant's asserts something about (not one that disputes a claim), or
    whose acquisition names them as who put it out."""
    by_acquisition = select(Acquisition.item_id).where(
        m.contains(Acquisition.claimed_by, who), _standing_acquisition()
    )
    return _by_claimant(m, who, disputing=False).union(by_acquisition)


def disputed_by(m: Matcher, who: str) -> IdQuery:
    """Items a counter-claim of this claimant's is about."""
    return _by_claimant(m, who, disputing=True)


def at_place(m: Matcher, name: str) -> IdQuery:
    return (
        select(ClaimItem.item_id)
        .join(Claim, Claim.id == ClaimItem.claim_id)
        .join(Place, Place.id == Claim.place_id)
        .where(m.contains(Place.name, name), _standing())
    )


def mentioning(session: Session, m: Matcher, text: str) -> IdQuery:
    """Items whose tags' notes, claims, acquisitions (names, notes, URLs, claimed-by), descriptions,
    probed metadata (titles, comments, EXIF) or the text read in their frames contain `text`."""
    parts: list[Select[Any]] = [
        select(Annotation.item_id).where(m.contains(Annotation.note, text)),
        select(ClaimItem.item_id)
        .join(Claim, Claim.id == ClaimItem.claim_id)
        .where(m.contains(Claim.statement, text), _standing()),
        select(Acquisition.item_id).where(
            or_(
                m.contains(Acquisition.original_name, text),
                m.contains(Acquisition.note, text),
                m.contains(Acquisition.source_url, text),
            ),
            _standing_acquisition(),
        ),
        select(Description.item_id).where(
            or_(m.contains(Description.source, text), m.contains(Description.note, text)),
            withdrawals.standing("description", Description.id),
        ),
        select(FrameText.item_id).where(m.contains(FrameText.text, text)),
    ]
    in_metadata = _metadata_mentioning(session, m, text)
    if in_metadata:
        parts.append(select(Item.id).where(Item.id.in_(in_metadata)))
    first, *rest = parts
    return first.union(*rest)


def _metadata_mentioning(session: Session, m: Matcher, text: str) -> list[int]:
    """Items whose probed metadata has a value (not a key) containing `text`. The JSON text narrows
    the candidates in SQL; the values are then checked one by one."""
    needle = text.lower()
    # the column holds JSON, where `"`, `\` and control characters are escaped: look for the escaped form
    escaped = json.dumps(text, ensure_ascii=False)[1:-1]
    rows = session.execute(select(Item.id, Item.probe).where(m.contains(Item.probe, escaped))).all()
    return [item_id for item_id, probe in rows if any(needle in v.lower() for v in strings_in(probe))]


def dated(since: datetime | None, until: datetime | None) -> IdQuery:
    """Items posted, captured (by us) or claimed to show an event within [since, until) (a
    counter-claim asserts no event)."""

    def window(column: Any) -> ColumnElement[bool]:
        clauses = [column.is_not(None)]
        if since is not None:
            clauses.append(column >= since)
        if until is not None:
            clauses.append(column < until)
        return and_(*clauses)

    posted = select(Acquisition.item_id).where(
        or_(window(Acquisition.posted_at), window(Acquisition.captured_at)), _standing_acquisition()
    )
    claimed = (
        select(ClaimItem.item_id)
        .join(Claim, Claim.id == ClaimItem.claim_id)
        .where(window(Claim.claimed_date), Claim.counters_id.is_(None), _standing())
    )
    return posted.union(claimed)


def find_hits(
    session: Session,
    conditions: list[ColumnElement[bool]],
    vocab: Vocabulary | None,
    term_ids: set[int],
    limit: int | None,
    *,
    window: tuple[datetime | None, datetime | None] | None = None,
) -> list[SearchHit]:
    """The items meeting every condition, with what matched: the searched terms they are tagged with,
    and with a date `window` ([since, until)) the dates that fell in it; at most `limit` (None: all)."""
    query = queries.items_with_first_name().where(*conditions).limit(limit)
    rows = session.execute(query).all()
    ids = [item.id for item, _ in rows]
    posted = _earliest_posted(session, ids)
    matched = _matched_terms(session, vocab, ids, term_ids) if vocab is not None else {}
    claimants, disputers = _claimants(session, ids)
    dates = _dates_in(session, ids, *window) if window is not None else {}
    return [
        SearchHit(
            item=item,
            original_name=name,
            posted_at=posted[item.id][0] if item.id in posted else None,
            posted_precision=posted[item.id][1] if item.id in posted else None,
            matched_terms=tuple(matched.get(item.id, ())),
            claimants=tuple(claimants.get(item.id, ())),
            disputers=tuple(disputers.get(item.id, ())),
            dates=tuple(dates.get(item.id, ())),
        )
        for item, name in rows
    ]


def _dates_in(
    session: Session, ids: list[int], since: datetime | None, until: datetime | None
) -> dict[int, list[str]]:
    """For each item, the dates that put it in [since, until): `posted 2016-03-23` (an acquisition's
    posted-at), `captured 2026-12-01T09:00:00Z` (when we caught it), `event 2016-03-24 (claim 3)` (the
    date a standing claim says the event happened), oldest first."""

    def inside(at: datetime | None) -> bool:
        if at is None:
            return False
        at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
        return (since is None or at >= since) and (until is None or at < until)

    found: dict[int, list[tuple[datetime, str]]] = {}
    for acq in session.scalars(
        select(Acquisition).where(among(Acquisition.item_id, ids), _standing_acquisition())
    ):
        if inside(acq.posted_at) and acq.posted_at is not None:
            text = as_given(iso(acq.posted_at), acq.posted_at_precision)
            found.setdefault(acq.item_id, []).append((acq.posted_at, f"posted {text}"))
        if inside(acq.captured_at):
            found.setdefault(acq.item_id, []).append((acq.captured_at, f"captured {iso(acq.captured_at)}"))
    rows = session.execute(
        select(ClaimItem.item_id, Claim)
        .join(Claim, Claim.id == ClaimItem.claim_id)
        .where(among(ClaimItem.item_id, ids), Claim.counters_id.is_(None), _standing())
    ).all()
    for item_id, claim in rows:
        if inside(claim.claimed_date) and claim.claimed_date is not None:
            text = as_given(iso(claim.claimed_date), claim.claimed_date_precision)
            found.setdefault(item_id, []).append((claim.claimed_date, f"event {text} (claim {claim.id})"))
    return {i: list(dict.fromkeys(t for _, t in sorted(v))) for i, v in found.items()}


def _earliest_posted(session: Session, ids: list[int]) -> dict[int, tuple[datetime, str | None]]:
    """For each item, its earliest posted-at among standing acquisitions, with its precision."""
    out: dict[int, tuple[datetime, str | None]] = {}
    rows = session.execute(
        select(Acquisition.item_id, Acquisition.posted_at, Acquisition.posted_at_precision).where(
            among(Acquisition.item_id, ids),
            Acquisition.posted_at.is_not(None),
            _standing_acquisition(),
        )
    ).all()
    for item_id, at, precision in rows:
        if at is not None and (item_id not in out or at < out[item_id][0]):
            out[item_id] = (at, precision)
    return out


def _matched_terms(
    session: Session, vocab: Vocabulary, ids: list[int], term_ids: set[int]
) -> dict[int, list[str]]:
    """For each item, the paths of the searched terms it is tagged with (the vocabulary the --tag
    values were resolved in)."""
    if not term_ids or not ids:
        return {}
    out: dict[int, list[str]] = {}
    rows = session.execute(
        select(Annotation.item_id, Annotation.term_id).where(
            among(Annotation.item_id, ids),
            among(Annotation.term_id, term_ids),
            withdrawals.standing("tag", Annotation.id),
        )
    ).all()
    for item_id, term_id in rows:
        path = vocab.path_text(term_id)
        if path not in out.setdefault(item_id, []):
            out[item_id].append(path)
    return out


def _claimants(session: Session, ids: list[int]) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """For each item, who asserts something about it, and who disputes a claim about it."""
    claiming: dict[int, list[str]] = {}
    disputing: dict[int, list[str]] = {}
    rows = session.execute(
        select(ClaimItem.item_id, Claimant.name, Claim.counters_id)
        .join(Claim, Claim.id == ClaimItem.claim_id)
        .join(Claimant, Claimant.id == Claim.claimant_id)
        .where(among(ClaimItem.item_id, ids), _standing())
        .order_by(Claim.id)
    ).all()
    for item_id, name, counters in rows:
        names = (claiming if counters is None else disputing).setdefault(item_id, [])
        if name not in names:
            names.append(name)
    return claiming, disputing
