"""Hash lists as partner organisations exchange them (Meta's ThreatExchange tools, HMA, vPDQ), read and
written. Pure: text in, entries out, and back.

* `threatexchange`: `<pdq hex>,<quality>,<name>` a line, as `pdq-photo-hasher` prints (the name may
  hold commas: it is the rest of the line);
* `vpdq`: `<frame>,<quality>,<pdq hex>,<seconds>` a line, one video a file, as vPDQ writes;
* `csv`: the header `item,sha256,kind,name,frame,time,quality,pdq` and a row a frame (`evidence hashes
  export --format csv`).

A line that is none of these is an error naming its number: a list is evidence of what a partner
knows, and a half-read list would say less than it seems to.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from evidence.core import csvsafe

FORMATS = ("threatexchange", "vpdq", "csv")
CSV_HEADER = ("item", "sha256", "kind", "name", "frame", "time", "quality", "pdq")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_INT = re.compile(r"\d{1,9}")
_SECONDS = re.compile(r"\d{1,9}(\.\d+)?")
MAX_LABEL = 500


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One hash of a list: what the partner calls it, the PDQ hash and its quality, and for a video's
    frame its number and time."""

    label: str
    pdq: str  # 64 lower-case hex digits
    quality: int
    frame: int | None = None
    t: float | None = None


class ListFormatError(ValueError):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


def detect(text: str) -> str:
    """The format of a list from its first line."""
    for line in _lines(text):
        if not line.strip():
            continue
        fields = line.strip().split(",")
        if tuple(f.strip().lower() for f in fields[: len(CSV_HEADER)]) == CSV_HEADER:
            return "csv"
        if len(fields) == 4 and _HEX64.fullmatch(fields[2].strip()):
            return "vpdq"
        if len(fields) >= 2 and _HEX64.fullmatch(fields[0].strip()):
            return "threatexchange"
        break
    raise ListFormatError(1, "not a hash list this tool reads (threatexchange, vpdq or csv lines)")


def parse(text: str, fmt: str, *, label: str = "") -> list[ListEntry]:
    """Every entry of a list in `fmt`; `label` names a vPDQ file's video (its lines carry no name)."""
    if fmt == "csv":
        return _parse_csv(text)
    out = []
    for number, line in enumerate(_lines(text), 1):
        if not line.strip():
            continue
        if fmt == "vpdq":
            out.append(_vpdq_line(number, line.strip(), label))
        elif fmt == "threatexchange":
            out.append(_threatexchange_line(number, line.strip()))
        else:
            raise ValueError(f"no list format {fmt!r}")
    if not out:
        raise ListFormatError(1, "the list holds no hash")
    return out


def write(entries: Sequence[ListEntry], fmt: str) -> str:
    """The entries as lines of `fmt` (threatexchange or vpdq)."""
    if fmt == "threatexchange":
        return "".join(f"{e.pdq},{e.quality},{e.label}\n" for e in entries)
    if fmt == "vpdq":  # seconds with three decimals, as vPDQ writes them
        return "".join(f"{e.frame or 0},{e.quality},{e.pdq},{e.t or 0.0:.3f}\n" for e in entries)
    raise ValueError(f"no list format {fmt!r} to write lines in")


def _lines(text: str) -> list[str]:
    """The lines as the partners' tools write them: ended by LF (or CRLF), nothing else (a name may
    hold what `str.splitlines` would also split at)."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def _hash(number: int, text: str) -> str:
    if not _HEX64.fullmatch(text):
        raise ListFormatError(number, "the hash is not 64 hexadecimal digits (a 256-bit PDQ hash)")
    return text.lower()


def _quality(number: int, text: str) -> int:
    if not _INT.fullmatch(text) or int(text) > 100:
        raise ListFormatError(number, "the quality is not a whole number from 0 to 100")
    return int(text)


def _label(number: int, text: str) -> str:
    if len(text) > MAX_LABEL or any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in text):
        raise ListFormatError(
            number, f"the name is longer than {MAX_LABEL} characters or holds control characters"
        )
    return text


def _threatexchange_line(number: int, line: str) -> ListEntry:
    fields = line.split(",", 2)
    if len(fields) < 2:
        raise ListFormatError(number, "expected `hash,quality[,name]`")
    name = fields[2].strip() if len(fields) == 3 else ""
    return ListEntry(
        _label(number, name), _hash(number, fields[0].strip()), _quality(number, fields[1].strip())
    )


def _vpdq_line(number: int, line: str, label: str) -> ListEntry:
    fields = [f.strip() for f in line.split(",")]
    if len(fields) != 4:
        raise ListFormatError(number, "expected `frame,quality,hash,seconds` (a vPDQ line)")
    if not _INT.fullmatch(fields[0]):
        raise ListFormatError(number, "the frame number is not a whole number")
    if not _SECONDS.fullmatch(fields[3]):
        raise ListFormatError(number, "the time is not a number of seconds")
    return ListEntry(
        label, _hash(number, fields[2]), _quality(number, fields[1]), int(fields[0]), float(fields[3])
    )


def _parse_csv(text: str) -> list[ListEntry]:
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    if header is None or tuple(h.strip().lower() for h in header[: len(CSV_HEADER)]) != CSV_HEADER:
        raise ListFormatError(1, f"expected the header {','.join(CSV_HEADER)}")
    out = []
    for number, row in enumerate(rows, 2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(CSV_HEADER):
            raise ListFormatError(number, f"expected {len(CSV_HEADER)} cells")
        cells = dict(zip(CSV_HEADER, (c.strip() for c in row), strict=False))
        if not _INT.fullmatch(cells["frame"]) or not _SECONDS.fullmatch(cells["time"]):
            raise ListFormatError(number, "the frame or the time is not a number")
        name = csvsafe.restore(cells["name"])  # the quote the export put before a formula
        out.append(
            ListEntry(
                _label(number, name or cells["sha256"]),
                _hash(number, cells["pdq"]),
                _quality(number, cells["quality"]),
                int(cells["frame"]),
                float(cells["time"]),
            )
        )
    if not out:
        raise ListFormatError(2, "the list holds no hash")
    return out
