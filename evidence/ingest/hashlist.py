"""Use case: `evidence hashes import FILE --list NAME` — a partner's hash list loaded as known content.

The list file is preserved like any material received (content-addressed, an acquisition saying who
sent it), read in full first: a line that is not a hash of the format refuses the whole list (exit 2,
nothing kept), since a list read in part would say less than it seems to. A `hash_list` record then
names it, with its format and how many hashes it holds; `add` and `match` report frames that match
one of them (`matching/known.py`), reading the hashes from the preserved file itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from evidence.catalogue import custody
from evidence.catalogue.models import HashList
from evidence.core.custody import CustodyAction
from evidence.core.hashlists import FORMATS, ListFormatError, detect, parse
from evidence.core.text import printable
from evidence.errors import UsageError
from evidence.ingest.add import AddOptions, AddStatus, add_one
from evidence.store.files import read_small
from evidence.workspace import Workspace

MAX_LIST = 256 << 20
MAX_NAME = 200


@dataclass(frozen=True, slots=True)
class ListImport:
    list_id: int
    name: str
    format: str
    entries: int
    item_id: int
    sha256: str
    new_item: bool  # False: the same bytes were already catalogued (a new acquisition of that item)


def read_list(path: Path, fmt: str | None, label: str | None) -> tuple[str, int, str]:
    """The list's format and number of hashes, and its text, checked line by line (UsageError with the
    line that is wrong)."""
    shown = printable(str(path))
    data = read_small(path, MAX_LIST, shown)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{shown} is not UTF-8 text: not a hash list") from exc
    if fmt is not None and fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}")
    try:
        chosen = fmt or detect(text)
        entries = parse(text, chosen, label=label or path.name)
    except ListFormatError as exc:
        raise UsageError(f"{shown}: {exc}; nothing was kept") from exc
    return chosen, len(entries), text


def import_list(
    ws: Workspace,
    path: Path,
    *,
    name: str,
    actor: str,
    fmt: str | None = None,
    label: str | None = None,
    collected_by: str | None = None,
    note: str | None = None,
) -> ListImport:
    """Check the list, preserve the file, and record it under `name` (which must be new)."""
    name = name.strip()
    if not name or len(name) > MAX_NAME or any(ord(ch) < 32 for ch in name):
        raise UsageError(f"--list {printable(name)}: a list's name is 1 to {MAX_NAME} printable characters")
    chosen, count, _text = read_list(path, fmt, label)
    with ws.db.read() as session:
        if session.scalar(select(HashList.id).where(HashList.name == name)) is not None:
            raise UsageError(
                f"a hash list named {printable(name)} is loaded already: give the new one its own name"
            )
    options = AddOptions(
        actor=actor, collected_by=collected_by, note=note or f"hash list {name}", analyse=False
    )
    result = add_one(ws, path, options)
    if result.id is None or result.sha256 is None:
        raise UsageError(f"{printable(str(path))}: {result.error or 'not preserved'}")
    with ws.db.write() as session:
        if session.scalar(select(HashList.id).where(HashList.name == name)) is not None:
            raise UsageError(
                f"a hash list named {printable(name)} was loaded meanwhile: the file is kept as #{result.id}"
            )
        row = HashList(
            name=name,
            item_id=result.id,
            format=chosen,
            entries=count,
            label=(label or path.name) if chosen == "vpdq" else None,
            imported_at=custody.now(),
            imported_by=actor,
        )
        session.add(row)
        session.flush()
        custody.append(
            session,
            actor=actor,
            action=CustodyAction.HASH_LIST_IMPORT,
            subject=f"item:{result.sha256}",
            details={"list": name, "format": chosen, "entries": count},
            records=[("hash_list", row.id)],
        )
        list_id = row.id
    return ListImport(
        list_id, name, chosen, count, result.id, result.sha256, result.status == AddStatus.ADDED
    )
