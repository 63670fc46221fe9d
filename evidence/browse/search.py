"""Use case: `evidence search` — items by what they show, who claimed what, where, what text mentions
them and when, all criteria combined with AND.

User text is matched literally: it is always a bound parameter, and in substring matches `%`, `_` and
the escape character itself are escaped, so they match only themselves. Matching ignores case (Unicode
case on both backends: SQLite gets a Python `lower` function, PostgreSQL has its own)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement

from evidence.catalogue import cases, credentials
from evidence.catalogue import vocab as vocab_db
from evidence.catalogue.models import Item
from evidence.catalogue.search import (
    Matcher,
    SearchHit,
    at_place,
    claimed_by,
    dated,
    disputed_by,
    find_hits,
    mentioning,
    tagged,
)
from evidence.core.bounds import BIGINT_MAX, whole
from evidence.core.text import parsed
from evidence.core.timeutil import parse_instant, period_end
from evidence.core.types import MediaKind
from evidence.core.vocab import Vocabulary
from evidence.errors import UsageError
from evidence.workspace import Workspace


@dataclass(frozen=True, slots=True)
class SearchQuery:
    tags: tuple[str, ...] = ()
    claimed_by: tuple[str, ...] = ()
    disputed_by: tuple[str, ...] = ()
    signed_by: tuple[str, ...] = ()  # the signer of its content credentials (C2PA), or its organisation
    places: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None
    kind: str | None = None
    case: str | None = None  # only items in this case (id or name)
    limit: int | None = None  # None: every hit

    @property
    def empty(self) -> bool:
        return not (
            self.tags
            or self.claimed_by
            or self.disputed_by
            or self.signed_by
            or self.places
            or self.texts
            or self.since
            or self.until
            or self.kind
            or self.case
        )


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: list[SearchHit] = field(default_factory=list)
    terms: dict[str, list[str]] = field(default_factory=dict)  # each --tag → the term paths it covers
    more: bool = False  # more items match than the limit let through


def _required(text: str, option: str) -> str:
    value = text.strip()
    if not value:
        raise UsageError(f"{option} needs a value that is not empty")
    return value


def search(ws: Workspace, query: SearchQuery) -> SearchResult:
    if query.kind is not None and query.kind not in {k.value for k in MediaKind}:
        raise UsageError(f"--kind must be one of {', '.join(k.value for k in MediaKind)}")
    since = parsed("--since", parse_instant, query.since)
    until = parsed("--until", parse_instant, query.until)
    end = period_end(until) if until is not None else None
    if since is not None and end is not None and since.at >= end:
        raise UsageError(f"--since {query.since} is not before --until {query.until}: nothing can match")
    limit = None if query.limit is None else whole(query.limit, "--limit", minimum=1)
    with ws.db.read() as session:
        m = Matcher(session)
        conditions: list[ColumnElement[bool]] = []
        terms: dict[str, list[str]] = {}
        term_ids: set[int] = set()
        vocab: Vocabulary | None = None
        if query.tags:
            vocab = vocab_db.shared(session)
            for text in query.tags:
                ids = vocab.lookup(_required(text, "--tag"))
                if not ids:
                    vocab_db.resolve(vocab, text)  # unknown: raises with the nearest terms
                covered = set().union(*(vocab.descendants(i) for i in ids))
                term_ids |= covered
                terms[text] = sorted(vocab.path_text(i) for i in covered)
                conditions.append(Item.id.in_(tagged(covered)))
        for who in query.claimed_by:
            conditions.append(Item.id.in_(claimed_by(m, _required(who, "--claimed-by"))))
        for who in query.disputed_by:
            conditions.append(Item.id.in_(disputed_by(m, _required(who, "--disputed-by"))))
        for who in query.signed_by:
            conditions.append(Item.id.in_(credentials.signed_by(m.contains, _required(who, "--signed-by"))))
        for name in query.places:
            conditions.append(Item.id.in_(at_place(m, _required(name, "--place"))))
        for text in query.texts:
            conditions.append(Item.id.in_(mentioning(session, m, _required(text, "--text"))))
        window = None
        if since is not None or until is not None:
            window = (since.at if since else None, period_end(until) if until is not None else None)
            conditions.append(Item.id.in_(dated(*window)))
        if query.kind is not None:
            conditions.append(Item.kind == query.kind)
        if query.case is not None:
            conditions.append(Item.id.in_(cases.members(cases.find(session, query.case).id)))
        # one more than the limit says whether more match, without counting them all
        most = None if limit is None else min(limit + 1, BIGINT_MAX)
        hits = find_hits(session, conditions, vocab, term_ids, most, window=window)
    more = limit is not None and len(hits) > limit
    return SearchResult(hits=hits[:limit], terms=terms, more=more)
