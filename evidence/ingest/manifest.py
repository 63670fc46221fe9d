"""Use case: `evidence add --manifest FILE` — many files, each with its own acquisition details.

A manifest is CSV with a header row (a name ending in `.csv`) or JSON lines, one object a line (`.jsonl`,
`.ndjson`, `.json-lines`; any other name is JSON lines when its first character is `{`), in UTF-8. A row
names a file by `path` (relative to the manifest's folder) and may give `source_url`, `posted_at` (read as
`--posted-at`; with `posted_at_precision`, at that precision), `claimed_by`, `collected_by` and `note`;
any other column is kept as given in the acquisition's custody event (`details["manifest"]`, beside the
manifest's path, SHA-256 and the row's line). Column names ignore case, and a space or `-` reads as `_`.

`evidence export --table acquisitions` reads back as it is: `original_path` is the path; the columns that
say what the catalogue made of a file (`DERIVED`: its ids, hash, original name, capture time, tool
version, file time, withdrawal) are ignored, and a withdrawn row (a corrected acquisition) is skipped.
A CSV cell is read without the quote the export puts before a formula (`core/csvsafe.py` `restore`).

Every row is checked before anything is added; the first bad one is named by its line, and nothing is
added. A row may give a link (`url`, http or https) instead of a path: after the files, each link is
captured as `evidence capture URL` would capture it (`ingest/capture.py`), the row's `source_url`,
`posted_at` and `claimed_by`, when given, recorded over what the platform says.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import hashlib
import io
import json
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from evidence.analysis.worker import Worker
from evidence.core.csvsafe import restore
from evidence.core.text import printable, storable, user_text
from evidence.core.timeutil import Instant, at_precision, parse_instant
from evidence.errors import InputRefused, UsageError
from evidence.ingest.add import AddOptions, AddProgress, AddReport, Candidate, Skipped, add_files, collect
from evidence.ingest.capture import CaptureResult, capture_urls, options_of_row
from evidence.workspace import Workspace

MAX_BYTES = 64 << 20  # a manifest of a million rows is well under this
TEXT_FIELDS = ("source_url", "claimed_by", "collected_by", "note")
FIELDS = ("path", "url", "posted_at", "posted_at_precision", *TEXT_FIELDS)
ALIASES = {"original_path": "path"}  # the export's name for it
# columns of `export --table acquisitions` that describe what the catalogue made of the file, not input
DERIVED = frozenset(
    {"id", "item_id", "item_sha256", "original_name", "captured_at", "tool_version", "source_mtime"}
    | {"withdrawn_at", "withdrawn_by", "withdrawn_note"}
)
WITHDRAWN = "withdrawn"  # a row `true` here is an acquisition since corrected: skipped
JSON_LINES_SUFFIXES = (".jsonl", ".ndjson", ".json-lines")
_SPACING = re.compile(r"[\s-]+")


class RowError(ValueError):
    """A manifest that cannot be added, and the line where it goes wrong."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True, slots=True)
class ManifestRow:
    line: int
    path: Path | None = None  # resolved against the manifest's folder
    url: str | None = None
    source_url: str | None = None
    posted_at: Instant | None = None
    claimed_by: str | None = None
    collected_by: str | None = None
    note: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # the free columns, as given


@dataclass(frozen=True, slots=True)
class Manifest:
    file: Path
    sha256: str
    rows: tuple[ManifestRow, ...]
    skipped: tuple[Skipped, ...] = ()  # withdrawn rows of an exported acquisitions table


@dataclass
class ManifestReport(AddReport):
    captures: list[CaptureResult] = field(default_factory=list)  # the links (`url` rows), captured


def add_manifest(
    ws: Workspace,
    file: Path,
    options: AddOptions,
    progress: AddProgress | None = None,
    *,
    worker: Worker | None = None,
) -> ManifestReport:
    """Add every file a manifest names, each as `evidence add PATH` with the row's details would, then
    capture every link it gives (`url` rows) as `evidence capture URL` would, with the row's details
    over what the platform says; every row is checked first, and a bad one refuses the whole manifest
    (UsageError, nothing added)."""
    manifest = read_manifest(file)
    name = printable(str(file))
    try:
        files = [
            (_candidate(row, ws.location.root), _options(manifest, row, options))
            for row in manifest.rows
            if row.url is None
        ]
    except RowError as exc:
        raise UsageError(f"{name} line {exc.line}: {exc.message}; nothing was added") from None
    links = [row for row in manifest.rows if row.url is not None]
    with contextlib.nullcontext(worker) if worker is not None else Worker() as worker:
        report = ManifestReport(skipped=list(manifest.skipped))
        add_files(ws, files, options, report, progress, worker=worker)
        for row in links:
            assert row.url is not None
            own = options_of_row(_options(manifest, row, options), options)
            report.captures += capture_urls(ws, [row.url], own, worker=worker)
    return report


def read_manifest(file: Path) -> Manifest:
    """The rows of a manifest, each checked (the files they name are checked by `add_manifest`)."""
    name = printable(str(file))
    data = _read(file, name)
    try:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise RowError(data[: exc.start].count(b"\n") + 1, "not UTF-8 text") from None
        json_lines = file.name.lower().endswith(JSON_LINES_SUFFIXES) or (
            not file.name.lower().endswith(".csv") and text.lstrip()[:1] == "{"
        )
        records = _json_records(text) if json_lines else _csv_records(text)
        rows: list[ManifestRow] = []
        skipped: list[Skipped] = []
        for line, record in records:
            row = _row(line, record, file.parent)
            if row is None:
                skipped.append(Skipped(f"{name} line {line}", "withdrawn (corrected by a later acquisition)"))
            else:
                rows.append(row)
    except RowError as exc:
        raise UsageError(f"{name} line {exc.line}: {exc.message}; nothing was added") from None
    if not rows and not skipped:
        raise UsageError(f"{name}: no rows (a row names a file by its path); nothing was added")
    return Manifest(file, hashlib.sha256(data).hexdigest(), tuple(rows), tuple(skipped))


def _read(file: Path, name: str) -> bytes:
    try:
        if not file.is_file():
            raise InputRefused(f"{name}: no such file (the manifest)")
        if file.stat().st_size > MAX_BYTES:
            raise InputRefused(f"{name}: larger than {MAX_BYTES >> 20} MiB, not a manifest")
        return file.read_bytes()
    except OSError as exc:
        raise InputRefused(f"{name}: cannot read it ({exc.strerror})") from None


def _csv_records(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line, {column: cell}) per CSV record, the line being where the record starts."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    end = 0
    try:
        for cells in reader:
            line, end = end + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                header = _columns([c.strip() for c in cells], line)
                if "path" not in header and "url" not in header:
                    raise RowError(
                        line, f"no path column in the header (it has {printable(','.join(header))})"
                    )
                continue
            if len(cells) > len(header):
                raise RowError(line, f"{len(cells)} cells but the header has {len(header)} columns")
            yield line, {column: restore(cell) for column, cell in zip(header, cells, strict=False)}
    except csv.Error as exc:
        raise RowError(reader.line_num, f"not CSV ({exc})") from None


def _json_records(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line, {key: value}) per non-blank line, each a JSON object."""
    for line, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw, object_pairs_hook=_pairs, parse_constant=_no_constant)
        except json.JSONDecodeError as exc:
            raise RowError(line, f"not JSON ({exc.msg}, column {exc.colno})") from None
        except ValueError as exc:
            raise RowError(line, str(exc)) from None
        if not isinstance(value, dict):
            raise RowError(line, 'each line must be a JSON object ({"path": …, …})')
        if not all(_is_unicode(text) for text in _texts(value)):
            raise RowError(line, "a string that is not Unicode text (a lone surrogate, like \\ud800)")
        columns = _columns(list(value), line)
        yield line, dict(zip(columns, value.values(), strict=True))


def _texts(value: Any) -> Iterator[str]:
    """Every string in a JSON value, the keys of its objects too."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from _texts(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _texts(inner)


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _without_nul(value: Any) -> Any:
    """A free column's value as the custody log can hold it (PostgreSQL refuses NUL characters)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise ValueError(f"the key {twice[0]!r} is given twice")
    return dict(pairs)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _columns(names: list[str], line: int) -> list[str]:
    """Each column's name as read: a known column by its canonical name, any other as written. Two
    columns that give the same thing are refused."""
    out: list[str] = []
    given: dict[str, str] = {}
    for number, written in enumerate(names, start=1):
        if not written.strip():
            raise RowError(line, f"column {number} has no name")
        key = _SPACING.sub("_", written.strip().casefold())
        key = ALIASES.get(key, key)
        column = key if key in FIELDS or key in DERIVED or key == WITHDRAWN else written.strip()
        if column in given:
            first, again = printable(given[column]), printable(written)
            what = (
                f"the column {again!r} is given twice"
                if first == again
                else f"the columns {first!r} and {again!r} both give {column}"
            )
            raise RowError(line, f"{what}; keep one")
        given[column] = written
        out.append(column)
    return out


def _row(line: int, record: dict[str, Any], folder: Path) -> ManifestRow | None:
    """A checked row, or None for a withdrawn row of an exported acquisitions table."""
    withdrawn = record.get(WITHDRAWN)
    if withdrawn not in (None, "", "false", False, "true", True):
        raise RowError(line, f"withdrawn is true or false, not {printable(str(withdrawn))!r}")
    if withdrawn in ("true", True):
        return None
    texts = {name: _text(record.get(name), name, line) for name in (*TEXT_FIELDS, "posted_at_precision")}
    path, url = _given(record.get("path"), "path", line), _given(record.get("url"), "url", line)
    if path is None and url is None:
        raise RowError(line, "no path: give the file's path (or a link in url)")
    if path is not None and url is not None:
        raise RowError(line, "both a path and a url: a row names one file or one link")
    if url is not None and not _web_link(url):
        raise RowError(line, f"{printable(url)!r} is not an http(s) link; only those can be captured")
    if "\x00" in (path or ""):
        raise RowError(line, "the path holds a NUL character")
    posted = _posted_at(_text(record.get("posted_at"), "posted_at", line), texts["posted_at_precision"], line)
    extra = {k: v for k, v in record.items() if k not in FIELDS and k not in DERIVED and k != WITHDRAWN}
    return ManifestRow(
        line=line,
        path=None if path is None else folder / path,  # an absolute path stays as it is
        url=url,
        source_url=texts["source_url"],
        posted_at=posted,
        claimed_by=texts["claimed_by"],
        collected_by=texts["collected_by"],
        note=texts["note"],
        extra={_without_nul(k): _without_nul(v) for k, v in extra.items() if v not in (None, "")},
    )


def _web_link(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:  # a malformed host (`http://[x`)
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _given(value: Any, name: str, line: int) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RowError(line, f"{name} must be text, not {type(value).__name__}")
    return value


def _text(value: Any, name: str, line: int) -> str | None:
    try:
        return user_text(_given(value, name, line), what=name)
    except UsageError as exc:
        raise RowError(line, exc.message) from None


def _posted_at(text: str | None, precision: str | None, line: int) -> Instant | None:
    if text is None:
        if precision is not None:
            raise RowError(line, "posted_at_precision without posted_at")
        return None
    try:
        instant = parse_instant(text)
        return instant if precision is None else at_precision(instant, precision)
    except ValueError as exc:
        raise RowError(line, f"posted_at: {exc}") from None


def _candidate(row: ManifestRow, catalogue_root: Path) -> Candidate:
    """The file a row names, checked as `evidence add` would check it before preserving anything."""
    assert row.path is not None  # a link row (`url`) is captured, not listed
    shown = printable(str(row.path))
    try:
        st = os.stat(row.path)
    except FileNotFoundError:
        raise RowError(row.line, f"{shown}: no such file") from None
    except OSError as exc:
        raise RowError(row.line, f"{shown}: cannot access: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise RowError(row.line, f"{shown}: is a folder; a manifest names files, one a row")
    if not stat.S_ISREG(st.st_mode):
        raise RowError(row.line, f"{shown}: is not a regular file; only files can be preserved")
    if st.st_size == 0:
        raise RowError(row.line, f"{shown}: empty file (0 bytes), nothing to preserve")
    if not os.access(row.path, os.R_OK):
        raise RowError(row.line, f"{shown}: permission denied; make it readable")
    candidates, _, refused = collect([row.path], include_hidden=True, catalogue_root=catalogue_root)
    if refused:
        raise RowError(row.line, refused[0].error or shown)
    return candidates[0]


def _options(manifest: Manifest, row: ManifestRow, options: AddOptions) -> AddOptions:
    """The options `evidence add PATH --source-url … --posted-at …` would have for this row."""
    return dataclasses.replace(
        options,
        source_url=row.source_url,
        posted_at=row.posted_at,
        claimed_by=row.claimed_by,
        collected_by=row.collected_by,
        note=row.note,
        manifest={
            "file": storable(os.path.abspath(manifest.file))[0],
            "sha256": manifest.sha256,
            "line": row.line,
            "extra": row.extra,
        },
    )
