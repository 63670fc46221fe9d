"""Contact sheets: a grid of keyframe thumbnails with their timecodes burnt in."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from PIL import Image, ImageDraw, ImageFont

CELL_WIDTH = 320
LABEL_HEIGHT = 22
HEADER_HEIGHT = 34
GAP = 6
BACKGROUND = (24, 24, 24)
TEXT = (240, 240, 240)


@dataclass(frozen=True, slots=True)
class SheetCell:
    jpeg: bytes
    pts: Fraction
    idx: int
    reason: str


def timecode(seconds: Fraction | float) -> str:
    """HH:MM:SS.mmm, exact to the millisecond (rounded down)."""
    millis = int(Fraction(seconds) * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{ms:03d}"


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType
        return ImageFont.load_default()


# the image format a sheet is written in, by the output's extension (JPEG for any other)
SHEET_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG"}


def contact_sheet(cells: Sequence[SheetCell], *, title: str, columns: int = 4, image: str = "JPEG") -> bytes:
    """An image (JPEG or PNG): a header line, then keyframes left to right, top to bottom, each
    labelled with its timecode, frame index and why it was picked."""
    thumbs = []
    for cell in cells:
        with Image.open(io.BytesIO(cell.jpeg)) as img:
            picture = img.convert("RGB")
        if picture.width != CELL_WIDTH:
            height = max(1, round(picture.height * CELL_WIDTH / picture.width))
            picture = picture.resize((CELL_WIDTH, height), Image.Resampling.LANCZOS)
        thumbs.append(picture)
    columns = max(1, min(columns, len(thumbs) or 1))
    rows = (len(thumbs) + columns - 1) // columns
    cell_height = max((t.height for t in thumbs), default=180) + LABEL_HEIGHT
    width = columns * CELL_WIDTH + (columns + 1) * GAP
    height = HEADER_HEIGHT + rows * (cell_height + GAP) + GAP
    sheet = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    draw.text((GAP, 8), title, fill=TEXT, font=_font(16))
    label_font = _font(14)
    for n, (cell, thumb) in enumerate(zip(cells, thumbs, strict=True)):
        row, col = divmod(n, columns)
        x = GAP + col * (CELL_WIDTH + GAP)
        y = HEADER_HEIGHT + row * (cell_height + GAP)
        sheet.paste(thumb, (x, y))
        label = f"{timecode(cell.pts)}  #{cell.idx}  {cell.reason}"
        draw.text((x + 4, y + thumb.height + 3), label, fill=TEXT, font=label_font)
    out = io.BytesIO()
    if image == "PNG":
        sheet.save(out, format="PNG", optimize=True)
    else:
        sheet.save(out, format="JPEG", quality=88)
    return out.getvalue()
