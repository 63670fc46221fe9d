"""The changes `evidence serve` makes, each the use case the matching command calls (`evidence tag`,
`untag`, `claim`, `relate`), named in the custody log by the account that asked. Forms are read here
into the use cases' arguments; every rule stays in the use case."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from evidence.annotation.claims import record_claim
from evidence.annotation.tags import tag, untag
from evidence.core.fragment import parse_box, parse_time
from evidence.core.text import parsed
from evidence.core.timeutil import parse_instant
from evidence.errors import UsageError
from evidence.matching.match import decide_relation
from evidence.matching.review import suggestion
from evidence.workspace import Workspace

Form = dict[str, list[str]]
TAGS = re.compile(r"/items/(\d{1,18})/tags")
WITHDRAW = re.compile(r"/tags/(\d{1,18})/withdraw")
CLAIMS = re.compile(r"/items/(\d{1,18})/claims")
DECIDE = re.compile(r"/review/(\d{1,18})/decide")


@dataclass(frozen=True, slots=True)
class Change:
    pattern: re.Pattern[str]
    run: Callable[[Workspace, int, Form, str], str]  # (ws, id from the path, form, actor) -> where to go


def field(form: Form, name: str) -> str | None:
    """A form field's value, stripped; None when absent or blank. Given twice, refused (a page of ours
    never sends a field twice, so a second value is not silently dropped)."""
    values = [v.strip() for v in form.get(name, []) if v.strip()]
    if len(values) > 1:
        raise UsageError(f"{name} was given {len(values)} times")
    return values[0] if values else None


def _number(name: str, text: str | None) -> float | None:
    value = parsed(name, float, text)
    if value is not None and value != value:
        raise UsageError(f"{name} is not a number")
    return value


def add_tag(ws: Workspace, item_id: int, form: Form, actor: str) -> str:
    """A tag from the item page: a term at the time the player showed, on the box drawn over it."""
    term = field(form, "term")
    if term is None:
        raise UsageError("pick a term for the tag")
    at = parsed("t", parse_time, field(form, "t"))
    box = parsed("box", parse_box, field(form, "box"))
    whole = field(form, "scope") == "item"
    result = tag(
        ws,
        str(item_id),
        term,
        at=None if whole else at,
        box=None if whole else box,
        note=field(form, "note"),
        confidence=_number("confidence", field(form, "confidence")),
        actor=actor,
    )
    return f"/items/{item_id}#tag-{result.tag.id}"


def withdraw_tag(ws: Workspace, tag_id: int, form: Form, actor: str) -> str:
    """Withdraw a tag (editing one is withdrawing it and tagging anew: the history stays)."""
    view = untag(ws, tag_id, note=field(form, "note"), actor=actor)
    return f"/items/{view.item_id}#tags"


def add_claim(ws: Workspace, item_id: int, form: Form, actor: str) -> str:
    """Who claimed what about this item, with what they say it shows."""
    shows = [s.strip() for s in (field(form, "shows") or "").split(",") if s.strip()]
    result = record_claim(
        ws,
        [str(item_id)],
        claimant=field(form, "claimant") or "",
        text=field(form, "text") or "",
        date=parsed("date", parse_instant, field(form, "date")),
        said_on=parsed("said on", parse_instant, field(form, "said_on")),
        place=field(form, "place"),
        latitude=_number("latitude", field(form, "lat")),
        longitude=_number("longitude", field(form, "lon")),
        url=field(form, "url"),
        shows=shows,
        actor=actor,
    )
    return f"/items/{item_id}#claim-{result.claim.id}"


def decide(ws: Workspace, relation_id: int, form: Form, actor: str) -> str:
    """Confirm (as the matcher's kind, or another) or reject a suggested relation, then on to the next."""
    verdict = field(form, "decision")
    if verdict not in ("confirm", "reject"):
        raise UsageError("decision must be confirm or reject")
    pair = suggestion(ws, relation_id)
    decide_relation(
        ws,
        str(pair.a.item.id),
        str(pair.b.item.id),
        confirm=verdict == "confirm",
        kind=field(form, "kind") if verdict == "confirm" else None,
        note=field(form, "note"),
        actor=actor,
    )
    return "/review/next"


CHANGES = (
    Change(TAGS, add_tag),
    Change(WITHDRAW, withdraw_tag),
    Change(CLAIMS, add_claim),
    Change(DECIDE, decide),
)


def route(path: str) -> tuple[Change, int] | None:
    for change in CHANGES:
        if (found := change.pattern.fullmatch(path)) is not None:
            return change, int(found.group(1))
    return None
