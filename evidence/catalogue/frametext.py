"""The text read in items' frames (`frame_text`, written by `analysis/text.py`): an item's readings,
and one word of a reading by its reference `R.N` (reading R, word N from 1), which `evidence ocr`
prints and `evidence tag --word` takes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.catalogue.among import among
from evidence.catalogue.models import FrameText
from evidence.core.timeutil import iso
from evidence.errors import UsageError

WORD_REF = re.compile(r"(\d{1,9})\.(\d{1,6})")


def readings(session: Session, item_id: int, ids: Sequence[int] | None = None) -> list[FrameText]:
    """An item's readings (or those of `ids`), by time, oldest reading first."""
    query = select(FrameText).where(FrameText.item_id == item_id)
    if ids is not None:
        query = query.where(among(FrameText.id, ids))
    return list(session.scalars(query.order_by(FrameText.t, FrameText.id)))


def reading_json(row: FrameText) -> dict[str, Any]:
    return {
        "id": row.id,
        "t": row.t,
        "width": row.width,
        "height": row.height,
        "text": row.text,
        "words": [
            {"ref": f"{row.id}.{n}", "text": w[0], "confidence": w[1], "box": w[2:6], "line": w[6]}
            for n, w in enumerate(row.words, start=1)
        ],
        "engine": row.engine,
        "languages": row.languages,
        "read_at": iso(row.read_at),
        "read_by": row.read_by,
    }


def word(session: Session, item_id: int, ref: str) -> tuple[float | None, tuple[int, int, int, int], str]:
    """The time, box and text of word `R.N` of one of the item's readings."""
    found = WORD_REF.fullmatch(ref.strip())
    if found is None:
        raise UsageError(f"--word {ref!r}: give a word as READING.N, as `evidence ocr` prints it (e.g. 12.3)")
    reading_id, n = int(found[1]), int(found[2])
    row = session.get(FrameText, reading_id)
    if row is None or row.item_id != item_id:
        raise UsageError(
            f"--word {ref}: item {item_id} has no text reading {reading_id} (see `evidence ocr`)"
        )
    if not 1 <= n <= len(row.words):
        raise UsageError(f"--word {ref}: reading {reading_id} has {len(row.words)} word(s)")
    text, _, x, y, w, h, _ = row.words[n - 1]
    return row.t, (int(x), int(y), int(w), int(h)), str(text)
