"""Use case: `evidence frame REF --at T -o FILE.png` — the frame of a video shown at a time, exactly as
decoded (upright, at its full size, lossless PNG), for a reverse image search or to see where to put a
box, with a sidecar `FILE.png.json` that says which item, frame number and time it is, so that anyone
can find the same frame again. The frame is decoded in the analysis worker, starting from the stored
frame before the time when there is one. Both files are written outside the catalogue and logged as
one `export` event."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evidence import __version__
from evidence.catalogue import queries
from evidence.core.text import printable
from evidence.core.types import MediaKind
from evidence.errors import UsageError
from evidence.workspace import Workspace

SIDECAR = ".json"  # the sidecar is the output's name with this added


@dataclass(frozen=True, slots=True)
class FrameExport:
    path: Path
    sidecar: Path
    sha256: str  # of the PNG
    record: dict[str, Any]  # what the sidecar says


@dataclass(frozen=True, slots=True)
class FrameOut:
    """The frame shown at a time, as a PNG, and what its sidecar says of it."""

    png: bytes
    sha256: str  # of the PNG
    record: dict[str, Any]
    subject: str  # the item's custody subject


def frame_out(ws: Workspace, ref: str, at: float, name: str) -> FrameOut:
    """The frame of video `ref` shown at `at` seconds, decoded exactly (nothing written); `name` is the
    PNG's file name as the sidecar gives it."""
    from evidence.analysis.moments import frame_shown_at

    if not at >= 0:
        raise UsageError("--at is a time from the video's start, 0 or more seconds")
    with ws.db.read() as session:
        item = queries.resolve_ref(session, ref)
    if item.kind != MediaKind.VIDEO:
        raise UsageError(f"item {item.id} is {item.kind}, not a video: its original is the picture itself")
    found = frame_shown_at(ws, item, at, png=True)
    sha = hashlib.sha256(found.png).hexdigest()
    record = {
        "item": {"id": item.id, "sha256": item.sha256},
        "requested_time": at,
        "frame": {
            "index": found.index,
            "pdq": found.pdq,
            "time": found.time,
            "pts": found.pts,
            "time_base": found.time_base,
            "width": found.width,
            "height": found.height,
            "quarter_turns": found.quarter_turns,
        },
        "png": {"name": name, "sha256": sha},
        "made_by": f"evidence {__version__}",
    }
    return FrameOut(found.png, sha, record, f"item:{item.sha256}")


def sidecar_text(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, indent=2) + "\n"


def export_frame(ws: Workspace, ref: str, at: float, output: Path, *, actor: str) -> FrameExport:
    """Write the frame of video `ref` shown at `at` seconds to `output` (a .png) and its sidecar."""
    if output.suffix.lower() != ".png":
        raise UsageError(
            f"the frame is written as a lossless PNG: name the output *.png, not {printable(output.name)!r}"
        )
    out = frame_out(ws, ref, at, output.name)
    ws.write_output(out.png, output)
    sidecar = output.with_name(output.name + SIDECAR)
    ws.export(
        sidecar_text(out.record).encode("utf-8"),
        sidecar,
        actor=actor,
        subject=out.subject,
        details={
            "format": "frame",
            "frame": out.record["frame"],
            "png": {"path": str(output.resolve()), "sha256": out.sha256},
        },
    )
    return FrameExport(output, sidecar, out.sha256, out.record)


def download_frame(ws: Workspace, ref: str, at: float, name: str, *, actor: str, via: str) -> FrameOut:
    """The frame for a download (`evidence serve`), logged as one `export` event as `export_frame`
    logs its files, saying where it went (`via`) instead of a path."""
    out = frame_out(ws, ref, at, name)
    ws.export(
        out.png,
        None,
        actor=actor,
        subject=out.subject,
        details={"format": "frame", "frame": out.record["frame"], "via": via, "sidecar": out.record},
    )
    return out
