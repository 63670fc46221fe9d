"""Use case: `evidence report REF -o FILE.html` — the provenance of an item as one self-contained HTML
file for an editor or a lawyer: keyframes, the tagged frames with their boxes drawn, claims, described
versus observed, a timeline, copies, hashes and the custody log. The file is written atomically outside
the catalogue and logged as an export event with its SHA-256."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from evidence.analysis.moments import stills_at
from evidence.catalogue import cases, withdrawals
from evidence.catalogue import vocab as vocab_db
from evidence.catalogue.annotation_models import Annotation
from evidence.catalogue.models import Frame, Item
from evidence.catalogue.provenance import provenance
from evidence.catalogue.views import media_size
from evidence.core.timeutil import as_given, iso
from evidence.exports.render.html import Picture, render_report
from evidence.workspace import Workspace, tool_version


@dataclass(frozen=True, slots=True)
class ReportResult:
    path: Path
    sha256: str
    size: int
    tagged_pictures: int
    keyframes: int


def make_report(ws: Workspace, ref: str, output: Path, *, actor: str) -> ReportResult:
    with ws.db.read() as session:
        found = provenance(session, ref, ws.store.fixity, ws.store)
    document = found.to_json()
    subject = found.subject
    ids = [m.item.id for m in found.members]
    with ws.db.read() as session:
        vocab = vocab_db.load(session)
        items = {m.item.id: m.item for m in found.members}
        frames = {
            f.id: f
            for f in session.scalars(
                select(Frame).where(Frame.item_id.in_(ids), Frame.thumbnail.is_not(None))
            )
        }
        keyframe_rows = sorted(
            (f for f in frames.values() if f.item_id == subject.id and f.keyframe), key=lambda f: f.t
        )
        tags = list(
            session.scalars(
                select(Annotation)
                .where(Annotation.item_id.in_(ids), withdrawals.standing("tag", Annotation.id))
                .order_by(Annotation.id)
            )
        )
        labels = {t.id: vocab.terms[t.term_id].label for t in tags}
    keyframes = [
        _picture(ws, subject, f.thumbnail or "", f.t, f"{f.t:.2f} s · frame {f.idx} · {f.keyframe}")
        for f in keyframe_rows
    ]
    tagged = _tagged_pictures(ws, items, frames, tags, labels)
    with ws.db.read() as session:
        in_cases = [c.name for c in cases.of_item(session, subject.id)]
    html = render_report(
        document,
        keyframes=keyframes,
        tagged=tagged,
        copies=copy_pictures(ws, frames, items),
        screenshots=screenshot_pictures(ws, document["captures"]),
        cases=in_cases,
        timeline=timeline(document),
        generated_at=iso(datetime.now(UTC)) or "",
        tool_version=tool_version(),
    )
    data = html.encode("utf-8")
    digest, _ = ws.export(
        data,
        output,
        actor=actor,
        subject=f"item:{subject.sha256}",
        details={"format": "html-report", "items": ids, "chain_head": document["chain"]["head"]},
    )
    return ReportResult(output, digest, len(data), len(tagged), len(keyframes))


def _display_size(item: Item, jpeg: bytes) -> tuple[int, int]:
    """The displayed frame size analysis found, else the picture's own size."""
    width, height = media_size(item)
    if width is not None and height is not None:
        return width, height
    from PIL import Image

    with Image.open(io.BytesIO(jpeg)) as picture:
        return picture.size


def _picture(ws: Workspace, item: Item, thumbnail: str, t: float, label: str) -> Picture:
    jpeg = ws.store.read_bytes(thumbnail, "derived")
    width, height = _display_size(item, jpeg)
    return Picture(jpeg=jpeg, width=width, height=height, t=t, label=label)


def _tagged_pictures(
    ws: Workspace,
    items: dict[int, Item],
    frames: dict[int, Frame],
    tags: list[Annotation],
    labels: dict[int, str],
) -> list[Picture]:
    """One picture per tagged frame (or tagged time with a box), with every box tagged on it."""
    groups: dict[tuple[int, float], list[Annotation]] = {}
    for tag in tags:
        on_frame = tag.t_start is not None and tag.t_end is None
        if tag.box_x is None and not on_frame:
            continue
        t = tag.t_start or 0.0
        groups.setdefault((tag.item_id, round(t, 3)), []).append(tag)
    thumbs = {(f.item_id, round(f.t, 3)): f.thumbnail for f in frames.values() if f.thumbnail}
    stills = stills_at(ws, items, set(groups) - set(thumbs))
    pictures = []
    for (item_id, t), group in sorted(groups.items()):
        item = items[item_id]
        thumbnail = thumbs.get((item_id, t))
        if thumbnail:
            jpeg = ws.store.read_bytes(thumbnail, "derived")
        elif (item_id, t) in stills:
            jpeg = stills[(item_id, t)]
        else:
            continue
        width, height = _display_size(item, jpeg)
        boxes = []
        for g in group:
            if g.box_x is None or g.box_y is None or g.box_w is None or g.box_h is None:
                continue
            # a box is in pixels of the frame size recorded with it; scale it to this picture's size
            sx = width / (g.frame_width or width)
            sy = height / (g.frame_height or height)
            boxes.append(
                {
                    "x": round(g.box_x * sx),
                    "y": round(g.box_y * sy),
                    "w": round(g.box_w * sx),
                    "h": round(g.box_h * sy),
                    "label": f"#{g.id} {labels[g.id]}",
                }
            )
        names = ", ".join(f"#{g.id} {labels[g.id]}" for g in group)
        where = f"{t:.2f} s" if item.kind == "video" else "image"
        pictures.append(Picture(jpeg, width, height, t, f"item #{item_id} · {where} · {names}", boxes))
    return pictures


def timeline(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Dated moments of the item and its copies (postings, captures, first catalogued, claims), oldest
    first: `at` (ISO-8601, for the order), `when`
    as it was given (a date stays a date; our own times to the minute), `what`, and a `url` to link."""
    entries: list[dict[str, Any]] = []
    members = [document["item"] | {"acquisitions": document["acquisitions"]}, *document["copies"]]
    for member in members:
        who = f"#{member['id']} {member['sha256'][:12]}"
        if member.get("first_catalogued_at"):
            entries.append(
                {
                    "at": member["first_catalogued_at"],
                    "when": _minute(member["first_catalogued_at"]),
                    "what": f"{who} first catalogued",
                    "url": None,
                }
            )
        for acq in member["acquisitions"]:
            if acq.get("posted_at"):
                entries.append(
                    {
                        "at": acq["posted_at"],
                        "when": as_given(acq["posted_at"], acq.get("posted_at_precision")),
                        "what": f"{who} posted (as its source says)",
                        "url": acq.get("source_url"),
                    }
                )
            entries.append(
                {
                    "at": acq["captured_at"],
                    "when": _minute(acq["captured_at"]),
                    "what": f"{who} captured by {acq.get('collected_by') or 'us'}",
                    "url": None,
                }
            )
    for claim in document["claims"]:
        who = f"claim #{claim['id']} by {claim['claimant']}"
        if claim.get("claimed_date") and not claim.get("counters"):
            entries.append(
                {
                    "at": claim["claimed_date"],
                    "when": claim["claimed_date_text"],
                    "what": f"{who} says the event happened",
                    "url": None,
                }
            )
        if claim.get("said_on"):
            said = f"disputes claim #{claim['counters']}" if claim.get("counters") else "made"
            entries.append(
                {
                    "at": claim["said_on"],
                    "when": claim["said_on_text"],
                    "what": f"{who} {said}",
                    "url": claim.get("url"),
                }
            )
        entries.append(
            {
                "at": claim["created_at"],
                "when": _minute(claim["created_at"]),
                "what": f"{who} recorded",
                "url": None,
            }
        )
    entries.sort(key=lambda e: e["at"] or "")
    return entries


def _minute(text: str | None) -> str:
    """An ISO-8601 time of ours, to the minute (`2026-12-06 11:42Z`)."""
    return "" if not text else f"{text[:10]} {text[11:16]}Z"


def copy_pictures(ws: Workspace, frames: dict[int, Frame], items: dict[int, Item]) -> dict[int, Picture]:
    """The first keyframe of each copy, to show beside it."""
    first: dict[int, Frame] = {}
    for f in sorted(frames.values(), key=lambda f: f.t):
        if f.keyframe and f.thumbnail:
            first.setdefault(f.item_id, f)
    return {
        i: _picture(ws, items[i], f.thumbnail or "", f.t, f"#{i} at {f.t:.2f} s") for i, f in first.items()
    }


SHOT_WIDTH = 640
SHOT_HEIGHT = 960  # the top of the page: the post itself, as the platform showed it


def screenshot_pictures(ws: Workspace, captures: list[dict[str, Any]]) -> dict[int, Picture]:
    """The top of each capture's screenshot, scaled to fit the report, as a JPEG to embed."""
    from PIL import Image, UnidentifiedImageError

    pictures = {}
    for capture in captures:
        shot = capture.get("screenshot")
        if not shot:
            continue
        try:
            with Image.open(io.BytesIO(ws.store.read_bytes(shot["sha256"]))) as image:
                image.thumbnail((SHOT_WIDTH, 1 << 16))
                top = image.crop((0, 0, image.width, min(image.height, SHOT_HEIGHT))).convert("RGB")
        except (OSError, UnidentifiedImageError, Image.DecompressionBombError):
            continue
        data = io.BytesIO()
        top.save(data, "JPEG", quality=85)
        where = capture["final_url"] or capture["url"]
        label = f"screenshot of {where}, item #{shot['id']} (the top of the page)"
        pictures[capture["id"]] = Picture(data.getvalue(), top.width, top.height, 0.0, label)
    return pictures
