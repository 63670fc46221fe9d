"""Use cases: `evidence claim` and `evidence claims` — who said what about which items and when they
said it; for a claim that asserts an event, when and where they say it happened; for a counter-claim,
the claim it disputes (it asserts no event, so it has no event date or place). Claimants and places
are found or made by their case-folded names. What a claim says the footage shows is recorded as
descriptions (`evidence.annotation.described`, whose `described` is re-exported here). Each use case
owns its transaction; every change is logged."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.annotation.described import record_description
from evidence.catalogue import custody, queries, withdrawals
from evidence.catalogue import vocab as catalogue_vocab
from evidence.catalogue.annotation_models import Claim, Claimant, ClaimItem, Place
from evidence.catalogue.claims import ClaimView, claim_views, claims_of, date_text
from evidence.catalogue.descriptions import Described as Described
from evidence.catalogue.descriptions import described as described
from evidence.catalogue.models import Item
from evidence.core.custody import CustodyAction
from evidence.core.text import printable, required_text, user_text
from evidence.core.timeutil import Instant
from evidence.core.vocab import normalise
from evidence.errors import NotFound, UsageError
from evidence.workspace import Workspace

_LANGUAGE = re.compile(r"^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$")
SAME_PLACE_DEGREES = 1e-6  # coordinates closer than this (about 0.1 m) are the same


def check_url(url: str | None) -> str | None:
    """Where a claim was made: an http(s) address with a host, or refused (no javascript:, file:, …)."""
    if url is None or not url.strip():
        return None
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or any(ch.isspace() or unicodedata.category(ch)[0] == "C" for ch in text)
    ):
        raise UsageError(f"--url must be an http:// or https:// address, not {printable(text)!r}")
    return text


def _claimant(session: Session, name: str, actor: str) -> tuple[Claimant, bool]:
    key = normalise(name)
    row = session.scalars(select(Claimant).where(Claimant.name_key == key)).first()
    if row is not None:
        return row, False
    row = Claimant(name=name.strip(), name_key=key, created_at=custody.now(), created_by=actor)
    session.add(row)
    session.flush()
    custody.append(
        session,
        actor=actor,
        action=CustodyAction.CLAIMANT_ADD,
        subject=f"claimant:{row.id}",
        details={"name": row.name},
        records=[("claimant", row.id)],
    )
    return row, True


def _coordinates(lat: float | None, lon: float | None, precision: str | None) -> None:
    if (lat is None) != (lon is None):
        raise UsageError("give both --lat and --lon")
    if precision is not None and lat is None:
        raise UsageError("--precision describes coordinates: give --lat and --lon with it")
    if lat is not None and (math.isnan(lat) or not -90.0 <= lat <= 90.0):
        raise UsageError("--lat is a latitude in degrees, from -90 to 90")
    if lon is not None and (math.isnan(lon) or not -180.0 <= lon <= 180.0):
        raise UsageError("--lon is a longitude in degrees, from -180 to 180")


def _place(
    session: Session, name: str, lat: float | None, lon: float | None, precision: str | None, actor: str
) -> tuple[Place, str | None]:
    """The place of this name (case-folded), made or given coordinates when it had none. Returns the
    place and what changed ("created", "located" or None)."""
    _coordinates(lat, lon, precision)
    key = normalise(name)
    row = session.scalars(select(Place).where(Place.name_key == key)).first()
    coords = {"latitude": lat, "longitude": lon, "precision": precision}
    if row is None:
        row = Place(name=name.strip(), name_key=key, created_at=custody.now(), created_by=actor, **coords)
        session.add(row)
        session.flush()
        custody.append(
            session,
            actor=actor,
            action=CustodyAction.PLACE_ADD,
            subject=f"place:{row.id}",
            details={"name": row.name, **coords},
            records=[("place", row.id)],
        )
        return row, "created"
    if lat is None or lon is None:
        return row, None
    if row.latitude is None or row.longitude is None:
        row.latitude, row.longitude, row.precision = lat, lon, precision
        session.flush()
        custody.append(
            session,
            actor=actor,
            action=CustodyAction.PLACE_LOCATE,
            subject=f"place:{row.id}",
            details=coords,
            records=[("place", row.id)],
        )
        return row, "located"
    if abs(row.latitude - lat) > SAME_PLACE_DEGREES or abs(row.longitude - lon) > SAME_PLACE_DEGREES:
        raise UsageError(
            f"the place {printable(row.name)!r} is recorded at {row.latitude}, {row.longitude}, "
            f"not {lat}, {lon}: leave out --lat/--lon, or give this location another place name"
        )
    if precision is not None and row.precision is not None and precision != row.precision:
        raise UsageError(
            f"the place {printable(row.name)!r} has the precision {printable(row.precision)!r}, not "
            f"{printable(precision)!r}: leave out --precision"
        )
    if precision is not None and row.precision is None:
        row.precision = precision
        session.flush()
        custody.append(
            session,
            actor=actor,
            action=CustodyAction.PLACE_LOCATE,
            subject=f"place:{row.id}",
            details=coords,
            records=[("place", row.id)],
        )
        return row, "located"
    return row, None


@dataclass(frozen=True, slots=True)
class ClaimResult:
    claim: ClaimView
    claimant_created: bool
    place_change: str | None  # "created" | "located" | None
    free_terms: tuple[str, ...]  # paths of free terms made for --shows
    nearest: dict[str, tuple[str, ...]]  # for each free term made: its closest curated terms


def record_claim(
    ws: Workspace,
    refs: Sequence[str],
    *,
    claimant: str,
    text: str,
    date: Instant | None = None,
    said_on: Instant | None = None,
    place: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    precision: str | None = None,
    url: str | None = None,
    language: str | None = None,
    counters: int | None = None,
    shows: Sequence[str] = (),
    strict: bool = False,
    actor: str,
) -> ClaimResult:
    """One claim by `claimant` about one or more items; the claimant and the place are found or made by
    their case-folded names. `date` and `place` are when and where the event it asserts happened,
    `said_on` when the statement was made. `counters` names the claim this one disputes: such a claim
    asserts no event, so it takes no `date` or `place`. `shows` lists terms the claim says the footage
    shows (recorded as descriptions of every item)."""
    if not refs:
        raise UsageError("name at least one item the claim is about")
    if counters is not None and (date is not None or place is not None):
        raise UsageError(
            f"a counter-claim disputes claim {counters} and asserts no event, so --date and --place "
            "(when and where an event happened) do not apply: give when it was said with --said-on, "
            "and record an account of the event of its own as a claim of its own"
        )
    who = required_text(claimant, what="the claimant (--by)")
    statement = required_text(text, what="the claim (--text)")
    actor = required_text(actor, what="the actor")
    place_name = user_text(place, what="--place")
    precision = user_text(precision, what="--precision")
    if place_name is None and (latitude is not None or longitude is not None or precision is not None):
        raise UsageError("--lat/--lon/--precision locate a place: give --place NAME too")
    language = user_text(language, what="--language")
    if language is not None and (len(language) > 35 or not _LANGUAGE.match(language.strip())):
        raise UsageError(
            f"--language is a language tag such as en, ru or uk-Cyrl, not {printable(language)!r}"
        )
    address = check_url(url)
    if said_on is not None and said_on.at > custody.now():
        raise UsageError(
            "--said-on is when the statement was made: "
            f"{date_text(said_on.at, said_on.precision)} is still to come"
        )
    with ws.db.write() as session:
        items: dict[int, Item] = {}
        for ref in refs:
            item = queries.resolve_ref(session, ref)
            items.setdefault(item.id, item)
        if counters is not None and queries.by_id(session, Claim, counters) is None:
            raise NotFound(f"no claim with id {counters} to counter: see `evidence claims REF`")
        who_row, claimant_created = _claimant(session, who, actor)
        place_row, place_change = (None, None)
        if place_name is not None:
            place_row, place_change = _place(session, place_name, latitude, longitude, precision, actor)
        row = Claim(
            claimant_id=who_row.id,
            statement=statement,
            claimed_date=None if date is None else date.at,
            claimed_date_precision=None if date is None else date.precision,
            said_on=None if said_on is None else said_on.at,
            said_on_precision=None if said_on is None else said_on.precision,
            place_id=None if place_row is None else place_row.id,
            url=address,
            language=None if language is None else language.strip(),
            counters_id=counters,
            created_at=custody.now(),
            created_by=actor,
        )
        session.add(row)
        session.flush()
        session.add_all(ClaimItem(claim_id=row.id, item_id=i) for i in items)
        session.flush()
        vocab = catalogue_vocab.load(session)
        choices = [catalogue_vocab.ensure_term(session, vocab, t, strict=strict, actor=actor) for t in shows]
        for item in items.values():
            custody.append(
                session,
                actor=actor,
                action=CustodyAction.CLAIM,
                subject=f"item:{item.sha256}",
                details={
                    "claim": row.id,
                    "claimant": who_row.name,
                    "text": statement,
                    "date": date_text(row.claimed_date, row.claimed_date_precision),
                    "date_precision": row.claimed_date_precision,
                    "said_on": date_text(row.said_on, row.said_on_precision),
                    "said_on_precision": row.said_on_precision,
                    "place": None if place_row is None else place_row.name,
                    "latitude": None if place_row is None else place_row.latitude,
                    "longitude": None if place_row is None else place_row.longitude,
                    "url": address,
                    "language": row.language,
                    "counters": counters,
                    "items": [i.sha256 for i in items.values()],
                    "shows": [vocab.path(c.term_id) for c in choices],
                },
                records=[("claim", row.id)],
            )
            for choice in choices:
                record_description(
                    session, vocab, item, choice.term_id, claim_id=row.id, source=None, note=None, actor=actor
                )
        view = claim_views(session, vocab, [row])[0]
    created = tuple(p for c in choices for p in c.created)
    nearest = {p: c.nearest for c in choices for p in c.created}
    return ClaimResult(view, claimant_created, place_change, created, nearest)


@dataclass(frozen=True, slots=True)
class ItemClaims:
    item: Item
    claims: list[ClaimView]


def list_claims(ws: Workspace, ref: str, *, include_withdrawn: bool = False) -> ItemClaims:
    with ws.db.read() as session:
        item = queries.resolve_ref(session, ref)
        vocab = catalogue_vocab.load(session)
        return ItemClaims(item, claims_of(session, vocab, item.id, include_withdrawn=include_withdrawn))


def withdraw_claim(ws: Workspace, claim_id: int, *, note: str, actor: str) -> ClaimView:
    """Take a claim back (recorded wrongly, or about the wrong items): a withdrawal says who, when and
    why; the claim is kept as it was and shown with `claims --all`, but counts for nothing: not listed,
    searched, warned about, nor its `--shows` compared with the tags. Logged on each item it is about."""
    reason = required_text(note, what="the reason (--note)")
    actor = required_text(actor, what="the actor (--by)")
    with ws.db.write() as session:
        row = queries.by_id(session, Claim, claim_id)
        if row is None:
            raise NotFound(f"no claim with id {claim_id}: see `evidence claims REF`")
        taken = withdrawals.take_back(session, "claim", row.id, actor=actor, note=reason)
        view = claim_views(session, catalogue_vocab.load(session), [row])[0]
        for _item_id, sha256 in view.items:
            custody.append(
                session,
                actor=actor,
                action=CustodyAction.CLAIM_WITHDRAW,
                subject=f"item:{sha256}",
                details={"claim": row.id, "claimant": view.claimant, "text": view.statement, "note": reason},
                records=[("withdrawal", taken.id)],
            )
    return view
