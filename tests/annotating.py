"""Helpers for the annotation and claim tests: add analysed media, seed the vocabulary, read the log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import Catalogue
from sqlalchemy import func, select

from evidence.catalogue import vocab
from evidence.catalogue.annotation_models import Annotation, Claim, Description, Place, Term
from evidence.catalogue.engine import Database
from evidence.catalogue.models import Event

HOSTILE = ["'; DROP TABLE item; --", "<script>alert(1)</script>", "%_", "[bold]x[/bold]"]
# a term is a path (› > / separate its labels), so hostile terms are ones without separators
HOSTILE_TERMS = ["'; DROP TABLE item; --", "%_", "[red]x", "\"quoted\" 'term'"]


def add(cat: Catalogue, path: Path) -> dict[str, Any]:
    result: dict[str, Any] = cat.json("add", path)["results"][0]
    assert result["analysis"] == "ok", result
    return result


def terms(cat: Catalogue, *paths: str) -> None:
    """Make sure the vocabulary has these terms: a path whose last label is already a term (say, from
    the starter vocabulary) is left as it is."""
    db = Database(cat.url)
    try:
        with db.write() as session:
            tree = vocab.load(session)
            for path in paths:
                if not tree.lookup(path.split(" › ")[-1]):
                    vocab.add_path(session, tree, path, actor="tester")
    finally:
        db.dispose()


def events(cat: Catalogue, action: str, *, digests: bool = False) -> list[dict[str, Any]]:
    """The events of one action: subject, actor and details (without the record digests they carry,
    unless `digests`)."""
    db = Database(cat.url)
    try:
        with db.read() as session:
            rows = session.scalars(select(Event).where(Event.action == action).order_by(Event.seq))
            hidden = () if digests else ("records", "derived")
            return [
                {
                    "subject": e.subject,
                    "actor": e.actor,
                    **{k: v for k, v in e.details.items() if k not in hidden},
                }
                for e in rows
            ]
    finally:
        db.dispose()


def snapshot(cat: Catalogue) -> tuple[int, ...]:
    """How many events, tags, terms, claims, descriptions and places the catalogue holds."""
    db = Database(cat.url)
    try:
        with db.read() as session:
            return tuple(
                int(session.scalar(select(func.count()).select_from(table)) or 0)
                for table in (Event, Annotation, Term, Claim, Description, Place)
            )
    finally:
        db.dispose()
