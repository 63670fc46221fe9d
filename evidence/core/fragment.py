"""W3C Media Fragments (URI 1.0, basic): the temporal `t=` and spatial `xywh=` dimensions of a tag, and
the times and boxes an analyst types.

What we write is always `t=<start>[,<end>]` and/or `xywh=<x>,<y>,<w>,<h>` joined by `&` (temporal first),
with times as plain NPT seconds (`t=10,12.5`) and boxes in pixels of the displayed (upright) frame. A tag
on one frame is written `t=<frame time>`: the spec reads a start without an end as "from here to the end",
which players resolve by seeking to that frame; the time is rounded *up* to the millisecond so that it
falls inside the frame's display interval and never on the frame before. A tag on the whole item has
the empty fragment "".

What we read is the same plus the other spec forms: a leading `#`, `t=npt:…`, `t=,12` (from the start),
times as `[[hh:]mm:]ss[.fff]`, `xywh=pixel:…` and `xywh=percent:…`, percent-encoded names and values,
and any other dimension (`track=`, `id=`, …), which is ignored as the spec says.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from urllib.parse import unquote

from evidence.core.bounds import INT_MAX
from evidence.core.box import Box

_SECONDS = re.compile(r"^\d+(?:\.\d*)?$|^\.\d+$")
_CLOCK = re.compile(r"^(?:(\d+):)?([0-5]?\d):([0-5]\d(?:\.\d*)?)$")
_INT = re.compile(r"^\d+$")
_NANOSECOND_IN_MS = Fraction(1, 1_000_000)
MAX_PIXELS = INT_MAX  # what a box column holds
MAX_SECONDS = 10**9  # about 31 years: longer than any recording, and exact as a stored float


def parse_time(text: str) -> Fraction:
    """Seconds (`12.5`) or a clock time (`mm:ss[.fff]`, `h:mm:ss[.fff]`), exactly, up to MAX_SECONDS.
    ValueError otherwise."""
    value = text.strip()
    if _SECONDS.match(value):
        seconds = Fraction(value if not value.endswith(".") else value[:-1])
    elif match := _CLOCK.match(value):
        hours, minutes, rest = match.groups()
        seconds = int(hours or 0) * 3600 + int(minutes) * 60 + Fraction(rest.rstrip(".") or "0")
    else:
        raise ValueError(f"{text!r} is not a time: give seconds (12.5) or [h:]mm:ss[.fff] (1:02.5)")
    if seconds > MAX_SECONDS:
        raise ValueError(
            f"{_cut(text)} is too late: a time is at most {MAX_SECONDS} seconds (about 31 years)"
        )
    return seconds


def _cut(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:20] + "…") + f" ({len(text)} characters)"


def parse_range(text: str) -> tuple[Fraction, Fraction]:
    """`T1-T2` (or `T1,T2`) with T1 < T2. ValueError otherwise."""
    parts = re.split(r"\s*[-,]\s*", text.strip())
    if len(parts) != 2 or not all(parts):
        raise ValueError(f"{text!r} is not a range: give START-END, e.g. 10-12.5 or 0:10-0:12.5")
    start, end = parse_time(parts[0]), parse_time(parts[1])
    if start >= end:
        raise ValueError(f"the range {text!r} must start before it ends")
    return start, end


def format_seconds(value: Fraction | float, *, ceil: bool = False) -> str:
    """NPT seconds to the millisecond, without trailing zeros (`10`, `12.5`, `0.034`)."""
    millis = Fraction(value) * 1000
    # ceil: a frame's start written so that it never lands on the frame before (a stored float's
    # last-bit noise, below a nanosecond, is not a reason to move up a millisecond)
    whole = math.ceil(millis - _NANOSECOND_IN_MS) if ceil else round(millis)
    seconds, rest = divmod(whole, 1000)
    return f"{seconds}.{rest:03d}".rstrip("0").rstrip(".") if rest else str(seconds)


def format_clock(value: Fraction | float) -> str:
    """`m:ss.fff` or `h:mm:ss.fff`, to the millisecond, for people."""
    whole = round(Fraction(value) * 1000)
    seconds, millis = divmod(whole, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    clock = f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
    return f"{clock}.{millis:03d}"


def parse_box(text: str) -> Box:
    """`X,Y,W,H` in pixels, W and H above zero. ValueError otherwise."""
    parts = [p.strip() for p in text.strip().split(",")]
    if len(parts) != 4 or not all(_INT.match(p) for p in parts):
        raise ValueError(f"{text!r} is not a box: give X,Y,W,H in whole pixels, e.g. 100,200,150,60")
    x, y, w, h = (int(p) for p in parts)
    if w <= 0 or h <= 0:
        raise ValueError(f"the box {_cut(text)} needs a width and a height above zero")
    if max(x, y, w, h) > MAX_PIXELS:
        raise ValueError(f"the box {_cut(text)} is too large: its values are whole pixels up to {MAX_PIXELS}")
    return Box(x, y, w, h)


def check_box(box: Box, width: int | None, height: int | None) -> None:
    """A pixel box must lie inside a frame of this size (when the size is known). ValueError otherwise."""
    if box.w <= 0 or box.h <= 0 or box.x < 0 or box.y < 0:
        raise ValueError("a box needs x, y of zero or more and a width and a height above zero")
    if width and height and (box.x + box.w > width or box.y + box.h > height):
        raise ValueError(
            f"the box {box.x},{box.y},{box.w},{box.h} goes outside the {width}x{height} frame "
            f"(x+w must be at most {width}, y+h at most {height})"
        )


@dataclass(frozen=True, slots=True)
class MediaFragment:
    """The temporal and spatial dimensions of a W3C media fragment. `start` None with an `end` means
    from the beginning (`t=,12`); `end` None with a `start` means to the end (`t=10`)."""

    start: Fraction | None = None
    end: Fraction | None = None
    box: Box | None = None
    frame: bool = False  # a one-frame tag: its start is written rounded up to the millisecond

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise ValueError("a media fragment's start must come before its end")
        if (self.start is not None and self.start < 0) or (self.end is not None and self.end <= 0):
            raise ValueError("media fragment times cannot be negative")

    def to_text(self) -> str:
        """`t=10,12&xywh=100,200,150,60`, `t=10`, `xywh=…`, or "" for the whole item."""
        parts = []
        if self.start is not None or self.end is not None:
            start = "" if self.start is None else format_seconds(self.start, ceil=self.frame)
            end = "" if self.end is None else "," + format_seconds(self.end)
            parts.append(f"t={start}{end}")
        if self.box is not None:
            prefix = "percent:" if self.box.unit == "percent" else ""
            parts.append(f"xywh={prefix}{self.box.x},{self.box.y},{self.box.w},{self.box.h}")
        return "&".join(parts)

    def __str__(self) -> str:
        return self.to_text()


def _parse_npt(value: str) -> tuple[Fraction | None, Fraction | None]:
    if value.startswith("npt:"):
        value = value[4:]
    elif re.match(r"^[a-z-]+:", value):
        raise ValueError(f"only NPT times are understood, not {value.split(':')[0]!r}")
    start_text, comma, end_text = value.partition(",")
    start = parse_time(start_text) if start_text else None
    end = parse_time(end_text) if end_text else None
    if (start is None and end is None) or (comma and not end_text):
        raise ValueError(f"{value!r} is not a temporal fragment")
    return start, end


def _parse_xywh(value: str) -> Box:
    unit = "pixel"
    if value.startswith(("pixel:", "percent:")):
        unit, value = value.split(":", 1)
    parts = value.split(",")
    if len(parts) != 4 or not all(_INT.match(p) for p in parts):
        raise ValueError(f"{value!r} is not a spatial fragment (x,y,w,h)")
    x, y, w, h = (int(p) for p in parts)
    if w <= 0 or h <= 0:
        raise ValueError("a spatial fragment needs a width and a height above zero")
    if max(x, y, w, h) > MAX_PIXELS:
        raise ValueError(f"a spatial fragment's values are whole numbers up to {MAX_PIXELS}")
    return Box(x, y, w, h, unit)


def tag_fragment(
    t_start: float | None, t_end: float | None, box: Box | None, *, frame: bool | None = None
) -> MediaFragment:
    """The fragment of a stored tag (times in seconds as stored). A start without an end is one frame
    unless `frame` says otherwise: its time is written rounded up into that frame."""
    start = None if t_start is None else Fraction(t_start)
    end = None if t_end is None else Fraction(t_end)
    one_frame = start is not None and end is None if frame is None else frame
    return MediaFragment(start, end, box, frame=one_frame)


def parse_fragment(text: str) -> MediaFragment:
    """The `t` and `xywh` dimensions of a media fragment (with or without its `#`). ValueError when
    they are malformed or repeated; other dimensions are ignored."""
    start: Fraction | None = None
    end: Fraction | None = None
    box: Box | None = None
    seen: set[str] = set()
    for pair in text.strip().removeprefix("#").split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        name, value = unquote(name), unquote(value)
        if name not in ("t", "xywh"):
            continue
        if name in seen:
            raise ValueError(f"the dimension {name!r} is given twice")
        seen.add(name)
        if name == "t":
            start, end = _parse_npt(value)
        else:
            box = _parse_xywh(value)
    return MediaFragment(start, end, box)
