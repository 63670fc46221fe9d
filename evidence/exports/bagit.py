"""Use case: `evidence export --bagit DIR` — a BagIt 1.0 bag (RFC 8493) of items' original bytes with
their catalogue records and custody events (layout in `evidence.exports.render.bag`).

The bag is built in a hidden sibling folder and renamed into place once complete, so DIR holds either
nothing or a whole bag. Every payload file is re-hashed while it is copied out of the store. The
"export" custody event is appended after the bag is complete: the bag's custody log ends just before it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from evidence import faults
from evidence.catalogue import custody
from evidence.catalogue.models import Item
from evidence.catalogue.snapshot import gather
from evidence.catalogue.timestamps import stored_stamps
from evidence.core.custody import CustodyAction
from evidence.core.text import printable
from evidence.errors import EnvironmentFailure, IntegrityFailure, UsageError
from evidence.exports.records import build_document, scope_details
from evidence.exports.render import bag
from evidence.exports.render.records import custody_jsonl
from evidence.store.base import ObjectStore
from evidence.store.files import CHUNK, check_room, environment_error
from evidence.workspace import Workspace, tool_version


@dataclass(frozen=True, slots=True)
class BagResult:
    path: Path
    items: int
    payload_oxum: str
    manifest_sha256: str
    chain_head: str | None
    event_seq: int


def export_bag(
    ws: Workspace, refs: Sequence[str], target: Path, *, actor: str, organization: str | None = None
) -> BagResult:
    destination = _destination(ws, target)
    with ws.db.read() as session:
        records = gather(session, refs)
        stamps = stored_stamps(session)
    first_name: dict[int, str] = {}
    for acq in records.acquisitions:
        first_name.setdefault(acq.item_id, acq.original_name)
    plan = [
        (item, bag.payload_path(item.id, item.sha256, first_name.get(item.id), item.declared_ext))
        for item in records.items
    ]
    _check_room(destination.parent, sum(item.size for item in records.items))
    exported_at = custody.now()
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.partial-", dir=destination.parent))
    except OSError as exc:
        raise environment_error(exc, f"creating a folder next to {printable(str(destination))}") from exc
    try:
        entries = [_copy_verified(ws.store, item, staging, path) for item, path in plan]
        faults.checkpoint("bag-payload")
        manifest = bag.manifest((e.sha256, e.path) for e in entries).encode("utf-8")
        oxum = bag.payload_oxum(entries)
        info: list[tuple[str, str]] = []
        if organization:
            info.append(("Source-Organization", organization))
        info += [
            ("Bagging-Date", exported_at.date().isoformat()),
            ("Payload-Oxum", oxum),
            ("Bag-Software-Agent", tool_version()),
            ("External-Description", _description(len(entries), partial=bool(records.refs))),
            ("Evidence-Chain-Head", records.chain_head or ""),
            ("Evidence-Exported-At", exported_at.isoformat().replace("+00:00", "Z")),
        ]
        tag_files = {
            "bagit.txt": bag.BAGIT_TXT.encode("utf-8"),
            "bag-info.txt": bag.bag_info(info).encode("utf-8"),
            "manifest-sha256.txt": manifest,
            "evidence/records.json": build_document(records, exported_at),
            "evidence/custody.jsonl": custody_jsonl(records),
            "evidence/README.txt": bag.readme(
                chain_head=records.chain_head, partial=bool(records.refs), timestamps=bool(stamps)
            ).encode("utf-8"),
            **bag.timestamp_files(stamps),
        }
        for name, data in tag_files.items():
            _write(staging / name, data)
        tagmanifest = bag.manifest(
            (hashlib.sha256(data).hexdigest(), name) for name, data in tag_files.items()
        )
        _write(staging / "tagmanifest-sha256.txt", tagmanifest.encode("utf-8"))
        _sync_tree(staging)
        faults.checkpoint("bag-publish")
        _publish(staging, destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    manifest_sha256 = hashlib.sha256(manifest).hexdigest()
    details = {"format": "bagit", **scope_details(records)}
    details |= {
        "path": str(destination),
        "payload_oxum": oxum,
        "manifest_sha256": manifest_sha256,
        "chain_head": records.chain_head,
    }
    try:
        with ws.db.write() as session:
            event = custody.append(
                session, actor=actor, action=CustodyAction.EXPORT, subject="catalogue", details=details
            )
            seq = event.seq
    except EnvironmentFailure as exc:
        raise EnvironmentFailure(
            f"the bag {printable(str(destination))} is complete but its export could not be logged "
            f"({exc.message})"
        ) from exc
    return BagResult(destination, len(entries), oxum, manifest_sha256, records.chain_head, seq)


def _description(count: int, *, partial: bool) -> str:
    what = "the named items" if partial else "every item of the catalogue"
    return (
        f"Media evidence: the original bytes of {count} item(s) ({what}) under data/, with their "
        "catalogue records (evidence/records.json) and custody events (evidence/custody.jsonl); "
        "see evidence/README.txt. The custody log in this bag ends at Evidence-Chain-Head: the export "
        "event recording this bag is logged after the bag was made and is not in it."
    )


def _destination(ws: Workspace, target: Path) -> Path:
    """The bag folder: new, or an existing empty folder; never inside the catalogue."""
    shown = printable(str(target))
    path = Path(os.path.abspath(target))
    if path.is_symlink():
        raise UsageError(f"{shown} is a symbolic link: give a new or empty folder for the bag")
    if not path.parent.is_dir():
        raise UsageError(f"{printable(str(path.parent))}: no such folder")
    real = ws.protected().check(path, shown=shown)
    if path.exists():
        if not path.is_dir():
            raise UsageError(f"{shown} exists and is not a folder: give a new or empty folder for the bag")
        if any(path.iterdir()):
            raise UsageError(f"{shown} is not empty: give a new or empty folder for the bag")
    return real


def _check_room(folder: Path, size: int) -> None:
    check_room(
        folder,
        size,
        where=f"for the bag in {printable(str(folder))}",
        advice="free some space or choose another place",
    )


def _copy_verified(store: ObjectStore, item: Item, staging: Path, relative: str) -> bag.PayloadEntry:
    """Copy an original out of the store, hashing as it goes; refuse a copy that does not match."""
    target = staging / relative
    try:
        source = store.open(item.sha256)
    except FileNotFoundError:
        raise IntegrityFailure(
            f"item {item.id}: its original {item.sha256} is missing from the store; no bag was written "
            "(run `evidence verify`)"
        ) from None
    except OSError as exc:
        raise environment_error(exc, f"reading the original of item {item.id}") from exc
    hasher = hashlib.sha256()
    size = 0
    with source:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "xb") as out:
                while chunk := source.read(CHUNK):
                    hasher.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            raise environment_error(exc, f"copying item {item.id} into the bag") from exc
    if hasher.hexdigest() != item.sha256 or size != item.size:
        raise IntegrityFailure(
            f"item {item.id}: the stored original no longer matches its sha256 {item.sha256}; "
            "no bag was written (run `evidence verify`)"
        )
    return bag.PayloadEntry(relative, item.sha256, size)


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "xb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        raise environment_error(exc, f"writing {path.name} into the bag") from exc


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_tree(root: Path) -> None:
    """Make the folders' entries durable (the files were synced as they were written)."""
    try:
        for folder, _dirs, _files in os.walk(root, topdown=False):
            _sync_dir(Path(folder))
    except OSError as exc:
        raise environment_error(exc, "writing the bag") from exc


def _publish(staging: Path, destination: Path) -> None:
    """Rename the finished bag into place: over an empty folder, never over anything else."""
    try:
        os.rename(staging, destination)
    except OSError as exc:
        if destination.exists():
            raise UsageError(
                f"{printable(str(destination))} was filled while the bag was being made; nothing was written"
            ) from None
        raise environment_error(exc, f"moving the bag into {printable(str(destination))}") from exc
    with contextlib.suppress(OSError):
        _sync_dir(destination.parent)
