"""Use case: `evidence acquisition correct ID …` — what was recorded about where and when a file came
from (its source URL, when the source says it was posted, who the source says made it, who collected it,
a note) was wrong. Nothing is rewritten: the acquisition is withdrawn ("corrected as acquisition N") and
kept as it was, and a new acquisition records the same file, name, path and capture time with the
corrected values. One transaction; one custody event on the item, naming each value's old and new
form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table

from evidence.catalogue import custody, queries, withdrawals
from evidence.catalogue.models import Acquisition, Item
from evidence.catalogue.views import acquisition_dict
from evidence.core.custody import CustodyAction
from evidence.core.text import required_text, user_text
from evidence.core.timeutil import Instant
from evidence.errors import NotFound, UsageError
from evidence.workspace import Workspace

# what may be corrected: option name → column
FIELDS = {
    "--source-url": "source_url",
    "--claimed-by": "claimed_by",
    "--collected-by": "collected_by",
    "--note": "note",
}


@dataclass(frozen=True, slots=True)
class Correction:
    item: Item
    old: dict[str, Any]  # the withdrawn acquisition, as `show` gives it
    new: dict[str, Any]  # the acquisition made in its place
    changed: tuple[str, ...]  # the columns whose value changed


def correct_acquisition(
    ws: Workspace,
    acquisition_id: int,
    *,
    reason: str,
    actor: str,
    texts: dict[str, str] | None = None,
    posted_at: Instant | None = None,
    clear_posted_at: bool = False,
) -> Correction:
    """Correct an acquisition: `texts` maps options of FIELDS to their new value ("" clears it);
    `posted_at` sets when the source says it was posted, `clear_posted_at` removes it."""
    why = required_text(reason, what="the reason (--reason)")
    actor = required_text(actor, what="the actor (--by)")
    if posted_at is not None and clear_posted_at:
        raise UsageError("give --posted-at or --no-posted-at, not both")
    values: dict[str, Any] = {}
    for option, text in (texts or {}).items():
        values[FIELDS[option]] = user_text(text, what=option)  # "" (or blanks) clears the value
    if posted_at is not None or clear_posted_at:
        values["posted_at"] = None if posted_at is None else posted_at.at
        values["posted_at_precision"] = None if posted_at is None else posted_at.precision
    if not values:
        raise UsageError(
            "say what to correct: --source-url, --posted-at (or --no-posted-at), --claimed-by, "
            "--collected-by or --note"
        )
    with ws.db.write() as session:
        old = queries.by_id(session, Acquisition, acquisition_id)
        if old is None:
            raise NotFound(f"no acquisition with id {acquisition_id}: see `evidence show REF`")
        if withdrawals.of(session, "acquisition", [old.id]):
            raise UsageError(
                f"acquisition {old.id} was withdrawn (corrected before): correct the acquisition that "
                "replaced it (see `evidence show REF`)"
            )
        table: Table = Acquisition.__table__  # type: ignore[assignment]
        kept = {c.name: getattr(old, c.name) for c in table.columns if c.name != "id"}
        changed = tuple(k for k, v in values.items() if kept[k] != v and not k.endswith("_precision"))
        if not changed:
            raise UsageError(f"acquisition {old.id} already says that: nothing to correct")
        new = Acquisition(**{**kept, **values})
        session.add(new)
        session.flush()
        taken = withdrawals.take_back(
            session, "acquisition", old.id, actor=actor, note=f"corrected as acquisition {new.id}: {why}"
        )
        item = session.get_one(Item, old.item_id)
        before, after = acquisition_dict(old), acquisition_dict(new)
        custody.append(
            session,
            actor=actor,
            action=CustodyAction.ACQUISITION_CORRECT,
            subject=f"item:{item.sha256}",
            details={
                "acquisition": old.id,
                "corrected_as": new.id,
                "changed": {k: [before[k], after[k]] for k in changed},
                "reason": why,
            },
            records=[("withdrawal", taken.id), ("acquisition", new.id)],
        )
    return Correction(item, before, after, changed)
