"""Use case: `evidence hashes export` — the catalogue's PDQ hashes as the hash lists partner organisations
exchange instead of files (Meta's ThreatExchange tools, HMA, vPDQ), logged as an `export` event.

Each frame gives its whole picture's hash: the `raw` fingerprint where analysis removed a border (the
picture as the file holds it), else the `canonical` one (the same picture). That is what another tool
computes from the file: on the published PDQ reference images every such hash equals the reference
(`tests/exports/test_hashlists.py`). Formats:

* `threatexchange`: one line an image, `<pdq hex>,<quality>,<sha256>`, as Meta's `pdq-photo-hasher`
  prints `hash,quality,filename` (the file's SHA-256 stands for its name: unique, and no comma in it);
* `vpdq`: a video's sampled frames, `<frame>,<quality>,<pdq hex>,<seconds, 3 decimals>` a line, as
  vPDQ's hash files are (one file a video: with several videos, `-o` names a folder that gets
  `<sha256>.txt` each);
* `csv`: every item's frames with a header (item, sha256, kind, name, frame, time, quality, pdq), text
  cells made safe for spreadsheets (`core/csvsafe.py`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evidence.catalogue import custody, queries
from evidence.catalogue.among import among
from evidence.catalogue.models import Frame, FrameHash, Item
from evidence.core import csvsafe
from evidence.core.custody import CustodyAction
from evidence.core.fingerprint import PDQ_ALGORITHM, PDQ_VERSION
from evidence.core.hashlists import CSV_HEADER, FORMATS, ListEntry, write
from evidence.core.names import HashVariant
from evidence.core.text import printable
from evidence.core.types import MediaKind
from evidence.errors import UsageError
from evidence.workspace import Workspace


@dataclass(frozen=True, slots=True)
class PictureHash:
    """One frame's whole-picture PDQ hash."""

    item_id: int
    sha256: str
    kind: str
    frame: int
    t: float
    quality: int
    pdq: str


@dataclass(frozen=True, slots=True)
class HashExport:
    files: dict[Path, int]  # written: each file and the items in it (empty: `text` goes to stdout)
    text: str | None  # the list, for stdout
    items: int  # items with at least one hash in the export
    skipped: int  # items named (or in the catalogue) with no PDQ hash of the format's kind
    event_seq: int


def picture_hashes(session: Session, item_ids: Sequence[int] | None) -> dict[int, list[PictureHash]]:
    """Each item's frames' whole-picture hashes in frame order (the raw picture where a border was
    removed, else the canonical one)."""
    query = (
        select(Item.id, Item.sha256, Item.kind, Frame.idx, Frame.t, FrameHash.variant, FrameHash.value)
        .add_columns(FrameHash.quality)
        .join(Frame, Frame.item_id == Item.id)
        .join(FrameHash, FrameHash.frame_id == Frame.id)
        .where(
            FrameHash.algorithm == PDQ_ALGORITHM,
            FrameHash.version == PDQ_VERSION,
            FrameHash.variant.in_((HashVariant.CANONICAL, HashVariant.RAW)),
        )
        .order_by(Item.id, Frame.idx)
    )
    if item_ids is not None:
        query = query.where(among(Item.id, item_ids))  # a case may name thousands
    found: dict[tuple[int, int], dict[str, PictureHash]] = {}
    for item_id, sha, kind, idx, t, variant, value, quality in session.execute(query):
        picture = PictureHash(item_id, sha, kind, idx, t, int(quality or 0), value)
        found.setdefault((item_id, idx), {})[variant] = picture
    out: dict[int, list[PictureHash]] = {}
    for key in sorted(found):
        both = found[key]
        out.setdefault(key[0], []).append(both.get(HashVariant.RAW) or both[HashVariant.CANONICAL])
    return out


def threatexchange_lines(hashes: Sequence[PictureHash]) -> str:
    return write([ListEntry(h.sha256, h.pdq, h.quality) for h in hashes], "threatexchange")


def vpdq_lines(hashes: Sequence[PictureHash]) -> str:
    return write([ListEntry("", h.pdq, h.quality, h.frame, h.t) for h in hashes], "vpdq")


def csv_text(hashes: Sequence[PictureHash], names: dict[int, str]) -> str:
    rows = [csvsafe.row(CSV_HEADER)]
    for h in hashes:
        name = csvsafe.neutralise(names.get(h.item_id, ""))  # text from outside: never a formula
        cells = (str(h.item_id), h.sha256, h.kind, name, str(h.frame), f"{h.t:.3f}")
        rows.append(csvsafe.row((*cells, str(h.quality), h.pdq)))
    return "".join(rows)


def export_hashes(
    ws: Workspace, refs: Sequence[str], *, fmt: str, output: Path | None, actor: str
) -> HashExport:
    """The named items' (default: every item's) PDQ hashes in `fmt`, written to `output` (a file, or
    for several videos as vPDQ a folder) atomically and never inside the catalogue, or returned for
    stdout; logged as one `export` event naming what went where."""
    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}")
    with ws.db.read() as session:
        named = [queries.resolve_ref(session, ref) for ref in refs]
        ids = sorted({item.id for item in named}) if refs else None
        by_item = picture_hashes(session, ids)
        names: dict[int, str] = {}
        if fmt == "csv":
            for item_id, acquisitions in queries.acquisitions_by_item(session, list(by_item)).items():
                if acquisitions:
                    names[item_id] = acquisitions[0].original_name
        head = custody.head(session)
        total = len(ids) if ids is not None else int(session.scalar(select(func.count(Item.id))) or 0)
    wanted = {"threatexchange": MediaKind.IMAGE, "vpdq": MediaKind.VIDEO}.get(fmt)
    kept = {i: hs for i, hs in by_item.items() if wanted is None or hs[0].kind == wanted}
    if not kept:
        what = {"threatexchange": "image", "vpdq": "video"}.get(fmt, "item")
        raise UsageError(f"no {what} with a PDQ hash among the items named (analysed {what}s have them)")
    files: dict[Path, int] = {}
    text: str | None = None
    if fmt == "vpdq" and len(kept) > 1:
        if output is None:
            raise UsageError(
                f"{len(kept)} videos: vPDQ keeps one file a video; give -o FOLDER (each gets <sha256>.txt)"
            )
        _folder(ws, output)
        for hashes in kept.values():
            path = output / f"{hashes[0].sha256}.txt"
            ws.write_output(vpdq_lines(hashes).encode("utf-8"), path)
            files[path] = 1
    else:
        every = [h for hashes in kept.values() for h in hashes]
        text = {
            "threatexchange": threatexchange_lines,
            "vpdq": vpdq_lines,
        }.get(fmt, lambda hs: csv_text(hs, names))(every)
        if output is not None:
            ws.write_output(text.encode("utf-8"), output)
            files[output] = len(kept)
            text = None
    details: dict[str, Any] = {
        "format": f"hashes-{fmt}",
        "scope": "items" if refs else "all",
        "items": [{"id": hs[0].item_id, "sha256": hs[0].sha256} for hs in kept.values()],
        "item_count": len(kept),
        "destination": "file" if files else "stdout",
        "files": [
            {"path": str(p.resolve()), "sha256": hashlib.sha256(p.read_bytes()).hexdigest()} for p in files
        ],
        "chain_head": head.hash if head else None,
    }
    if text is not None:
        details["sha256"] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    with ws.db.write() as session:
        seq = custody.append(
            session, actor=actor, action=CustodyAction.EXPORT, subject="catalogue", details=details
        ).seq
    return HashExport(files, text, len(kept), total - len(kept), seq)


def _folder(ws: Workspace, output: Path) -> None:
    ws.protected().check(output)  # never a folder inside the catalogue, not even an empty one
    if output.exists() and not output.is_dir():
        raise UsageError(f"-o {printable(str(output))}: several videos need a folder, and this is a file")
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot make the folder {printable(str(output))}: {exc.strerror}") from exc
