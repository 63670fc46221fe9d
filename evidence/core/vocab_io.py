"""Vocabulary files: what `evidence terms export` writes and `evidence terms import` reads.

A vocabulary file lists terms by their path from the root; importing creates every missing label along
each path and attaches the aliases to the last one, so a file can be imported into any catalogue.

JSON (`.json`)::

    {"format": "evidence-vocabulary", "version": 1,
     "terms": {
       "weapon": {"path": ["weapon"], "label": "weapon", "parent": null, "free": false, "note": null,
                  "aliases": [{"alias": "оружие", "language": "ru"}]},
       "weapon › small arms": {"path": ["weapon", "small arms"], "label": "small arms",
                               "parent": "weapon", ...}}}

`terms` is keyed by the path (labels joined by " ›"; ">" or "/" also read). Every key of an entry is
optional: without `path` the key gives it; an entry with a one-label key may instead name its `parent`
(the key of another entry, or a path), so a file can be written by hand as labels with parents. A chain
of parents that loops back is refused. `terms` may also be a list in the shape `evidence terms --json`
prints (each entry with `path`, or with `id`, `label` and `parent_id` among the file's own ids).
An alias is {"alias", "language"} (language "" or a BCP 47 tag) or a bare string.

CSV (`.csv`, UTF-8, header row): columns `path,alias,language,note,free`, one row per alias; a term
without aliases has one row with an empty alias. `path` joins the labels with " › "; `free` is "free"
for a term made by tagging with an unknown label, else empty; only `path` is required. A cell that a
spreadsheet would run as a formula is written with a single quote in front (and before a formula
character after a `,` or `;` inside it; `evidence.core.csvsafe` has the rule), and those quotes are
taken off again on import, so an export reads back exactly."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from evidence.core.csvsafe import neutralise as neutralise  # re-exported: the cell rule lives there
from evidence.core.csvsafe import restore as restore
from evidence.core.csvsafe import row
from evidence.core.vocab import SEPARATOR, Vocabulary, normalise, split_path

FORMAT = "evidence-vocabulary"
VERSION = 1
CSV_COLUMNS = ("path", "alias", "language", "note", "free")


@dataclass(frozen=True, slots=True)
class VocabEntry:
    """One term of a vocabulary file: its path from the root, aliases as (alias, language), note, and
    where it came from in the file (`row`, for messages)."""

    path: tuple[str, ...]
    aliases: tuple[tuple[str, str], ...] = ()
    note: str | None = None
    free: bool = False
    row: str = ""


class VocabularyFileError(ValueError):
    """A vocabulary file that cannot be read; `row` names where."""

    def __init__(self, row: str, message: str) -> None:
        super().__init__(f"{row}: {message}" if row else message)
        self.row = row


def entries_of(vocab: Vocabulary, start: int | None = None) -> list[VocabEntry]:
    """The vocabulary (or the part below `start`) as entries, parents before children."""
    out = []
    for term_id, _depth in vocab.walk(start):
        node = vocab.terms[term_id]
        aliases = tuple((a.alias, a.language) for a in vocab.aliases.get(term_id, []))
        path = tuple(vocab.path(term_id))
        out.append(VocabEntry(path, aliases, node.note, node.free, SEPARATOR.join(path)))
    return out


def canonical_digest(entries: Iterable[VocabEntry]) -> str:
    """SHA-256 of the entries as canonical JSON (sorted, compact, UTF-8): names a vocabulary's content."""
    rows = sorted([list(e.path), sorted([a, lang] for a, lang in e.aliases), e.note, e.free] for e in entries)
    data = json.dumps(rows, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()


# ---- writing


def to_json(entries: Iterable[VocabEntry]) -> str:
    terms = {}
    for e in entries:
        terms[SEPARATOR.join(e.path)] = {
            "path": list(e.path),
            "label": e.path[-1],
            "parent": SEPARATOR.join(e.path[:-1]) or None,
            "free": e.free,
            "note": e.note,
            "aliases": [{"alias": a, "language": lang} for a, lang in e.aliases],
        }
    document = {"format": FORMAT, "version": VERSION, "terms": terms}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def to_csv(entries: Iterable[VocabEntry]) -> str:
    lines = [row(CSV_COLUMNS, terminator="\n")]
    for e in entries:
        path, note, free = SEPARATOR.join(e.path), e.note or "", "free" if e.free else ""
        for alias, language in e.aliases or (("", ""),):
            lines.append(row((neutralise(c) for c in (path, alias, language, note, free)), terminator="\n"))
    return "".join(lines)


# ---- reading


def from_csv(text: str) -> list[VocabEntry]:
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = [restore(c).strip().casefold() for c in next(reader)]
    except StopIteration:
        raise VocabularyFileError("", "the CSV file is empty (expected a header: path,alias,…)") from None
    except csv.Error as exc:
        raise VocabularyFileError("line 1", f"not CSV ({exc})") from None
    if "path" not in header:
        columns = ",".join(CSV_COLUMNS)
        raise VocabularyFileError("line 1", f"no 'path' column in the header (columns: {columns})")
    index = {name: header.index(name) for name in CSV_COLUMNS if name in header}
    out = []
    try:
        for cells in reader:
            row = f"line {reader.line_num}"
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(header):
                raise VocabularyFileError(row, f"{len(cells)} cells but the header has {len(header)}")

            def get(name: str, cells: list[str] = cells) -> str:
                at = index.get(name)
                return restore(cells[at]).strip() if at is not None and at < len(cells) else ""

            path = tuple(split_path(get("path")))
            if not path:
                raise VocabularyFileError(row, "the path is empty")
            alias = get("alias")
            free = get("free").casefold()
            if free not in ("", "free", "true", "yes", "1", "false", "no", "0"):
                raise VocabularyFileError(row, f"free must be 'free' or empty, not {free!r}")
            out.append(
                VocabEntry(
                    path=path,
                    aliases=((alias, get("language")),) if alias else (),
                    note=get("note") or None,
                    free=free in ("free", "true", "yes", "1"),
                    row=row,
                )
            )
    except csv.Error as exc:
        raise VocabularyFileError(f"line {reader.line_num}", f"not CSV ({exc})") from None
    return out


def from_json(text: str) -> list[VocabEntry]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise VocabularyFileError(f"line {exc.lineno}", f"not JSON ({exc.msg})") from None
    terms = document.get("terms") if isinstance(document, dict) else document
    if isinstance(terms, dict):
        return _keyed(terms)
    if isinstance(terms, list):
        return _listed(terms)
    raise VocabularyFileError("", 'expected {"terms": {PATH: {...}, ...}} (see `evidence terms export`)')


def _keyed(terms: dict[str, Any]) -> list[VocabEntry]:
    """Entries of a `terms` object keyed by path; parents may be named instead of written in the key."""
    by_key: dict[str, tuple[str, dict[str, Any]]] = {}
    for key, body in terms.items():
        row = f"term {key!r}"
        if not isinstance(body, dict):
            raise VocabularyFileError(row, "each term must be an object")
        if not split_path(key):
            raise VocabularyFileError(row, "the key is not a path")
        norm = _path_key(split_path(key))
        if norm in by_key:
            raise VocabularyFileError(row, f"the same path as term {by_key[norm][0]!r}")
        by_key[norm] = (key, body)
    resolved: dict[str, tuple[str, ...]] = {}

    def path_of(norm: str, chain: list[str]) -> tuple[str, ...]:
        if norm in resolved:
            return resolved[norm]
        key, body = by_key[norm]
        row = f"term {key!r}"
        labels = split_path(key)
        explicit = body.get("path")
        parent = body.get("parent")
        if explicit is not None:
            path = _labels(explicit, row)
            if _path_key(list(path)) != norm:
                raise VocabularyFileError(row, f"its path {SEPARATOR.join(path)!r} differs from its key")
        elif parent is None or len(labels) > 1:
            path = tuple(labels)
            if parent is not None and _path_key(split_path(_text(parent, row))) != _path_key(labels[:-1]):
                raise VocabularyFileError(row, f"its parent {parent!r} differs from its key")
        else:
            parent_key = _path_key(split_path(_text(parent, row)))
            if parent_key in chain or parent_key == norm:
                loop = [by_key[k][0] for k in (*chain, norm)] + [by_key[parent_key][0]]
                raise VocabularyFileError(row, f"its parents form a cycle ({' → '.join(loop)})")
            known = parent_key in by_key
            above = path_of(parent_key, [*chain, norm]) if known else tuple(split_path(parent))
            path = (*above, _label(body.get("label", labels[-1]), row))
        resolved[norm] = path
        return path

    out = []
    for norm, (key, body) in by_key.items():
        row = f"term {key!r}"
        out.append(_entry(path_of(norm, []), body, row))
    return out


def _listed(terms: list[Any]) -> list[VocabEntry]:
    """Entries of a list in the shape `evidence terms --json` prints."""
    by_id: dict[Any, dict[str, Any]] = {}
    rows: dict[Any, str] = {}
    for n, body in enumerate(terms, 1):
        if not isinstance(body, dict):
            raise VocabularyFileError(f"term #{n}", "each term must be an object")
        if body.get("path") is None:
            by_id[body.get("id")] = body
            rows[body.get("id")] = f"term #{n} (id {body.get('id')!r})"
    resolved: dict[Any, tuple[str, ...]] = {}

    def path_of(body: dict[str, Any], row: str, seen: tuple[Any, ...]) -> tuple[str, ...]:
        if body.get("path") is not None:
            return _labels(body["path"], row)
        term_id = body.get("id")
        if term_id in resolved:
            return resolved[term_id]
        label = _label(body.get("label"), row)
        parent_id = body.get("parent_id")
        if parent_id is None:
            path: tuple[str, ...] = (label,)
        elif parent_id in seen or parent_id == term_id:
            loop = " → ".join(map(str, (*seen, term_id, parent_id)))
            raise VocabularyFileError(row, f"its parents form a cycle (ids {loop})")
        elif parent_id not in by_id:
            raise VocabularyFileError(row, f"its parent_id {parent_id!r} is not a term of the file")
        else:
            path = (*path_of(by_id[parent_id], rows[parent_id], (*seen, term_id)), label)
        resolved[term_id] = path
        return path

    out = []
    for n, body in enumerate(terms, 1):
        row = f"term #{n}" + (f" (id {body['id']!r})" if "id" in body else "")
        out.append(_entry(path_of(body, row, ()), body, row))
    return out


def _entry(path: tuple[str, ...], body: dict[str, Any], row: str) -> VocabEntry:
    aliases = body.get("aliases") or []
    if not isinstance(aliases, list):
        raise VocabularyFileError(row, "aliases must be a list")
    pairs = []
    for alias in aliases:
        if isinstance(alias, str):
            pairs.append((alias, ""))
        elif isinstance(alias, dict) and isinstance(alias.get("alias"), str):
            pairs.append((alias["alias"], _text(alias.get("language") or "", row)))
        else:
            raise VocabularyFileError(row, f"an alias is a string or {{alias, language}}, not {alias!r}")
    note = body.get("note")
    free = body.get("free", False)
    if not isinstance(free, bool):
        raise VocabularyFileError(row, "free must be true or false")
    return VocabEntry(path, tuple(pairs), None if note in (None, "") else _text(note, row), free, row)


def _labels(value: Any, row: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = split_path(value)
    if not isinstance(value, list) or not value:
        raise VocabularyFileError(row, "path must be a non-empty list of labels")
    return tuple(_label(v, row) for v in value)


def _label(value: Any, row: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise VocabularyFileError(row, f"a label must be a non-empty string, not {value!r}")
    return value


def _text(value: Any, row: str) -> str:
    if not isinstance(value, str):
        raise VocabularyFileError(row, f"expected a string, not {value!r}")
    return value


def _path_key(labels: list[str] | tuple[str, ...]) -> str:
    return "\x1f".join(normalise(label) for label in labels)
