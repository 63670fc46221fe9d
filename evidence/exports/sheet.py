"""Use case: `evidence sheet` — a contact sheet of an item's keyframes, written to a file and logged."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from evidence.catalogue import queries
from evidence.catalogue.frames import frames_of
from evidence.core.text import printable
from evidence.errors import UsageError
from evidence.exports.render.sheet import SHEET_FORMATS, SheetCell, contact_sheet
from evidence.workspace import Workspace


@dataclass(frozen=True, slots=True)
class SheetResult:
    path: Path
    sha256: str
    keyframes: int


def make_sheet(ws: Workspace, ref: str, output: Path, *, actor: str, columns: int = 4) -> SheetResult:
    """A contact sheet written in the format the output's extension names: PNG for .png, else JPEG."""
    image = SHEET_FORMATS.get(output.suffix.lower(), "JPEG")
    with ws.db.read() as session:
        item = queries.resolve_ref(session, ref)
        rows = frames_of(session, item.id)
        names = queries.acquisitions_of(session, item.id)
    keyframes = [f for f, _ in rows if f.keyframe and f.thumbnail]
    if not keyframes:
        raise UsageError(
            f"item {item.id} has no keyframes yet (analysis: {item.analysis}); "
            f"run `evidence analyze {item.id}`"
        )
    cells = [
        SheetCell(
            jpeg=ws.store.read_bytes(f.thumbnail, "derived"),
            pts=Fraction(f.pts),
            idx=f.idx,
            reason=f.keyframe or "",
        )
        for f in keyframes
        if f.thumbnail
    ]
    name = names[0].original_name if names else ""
    title = printable(f"#{item.id}  sha256:{item.sha256[:16]}…  {name}")
    data = contact_sheet(cells, title=title, columns=columns, image=image)
    digest, _ = ws.export(
        data,
        output,
        actor=actor,
        subject=f"item:{item.sha256}",
        details={"format": "contact-sheet", "image": image.lower(), "keyframes": len(cells)},
    )
    return SheetResult(output, digest, len(cells))
