"""CSV that a spreadsheet opens without running anything (OWASP "CSV injection"), for every CSV the
tool writes: the export tables and the vocabulary file.

A formula character is =, +, - or @, also in the forms Unicode folds to them (NFKC: fullwidth ＝ ＋ －
＠, small ﹦ …). Before one, a spreadsheet skips whitespace (any Unicode space, NBSP included), invisible
format characters (zero-width space, bidi marks, BOM) and quotes. A text cell gets a single quote:

* in front, when its first character apart from those is a formula character, or when it starts
  (after any quotes) with a tab or a carriage return;
* before every formula character that follows a separator a reader may split on (`,` `;` tab, a
  line break) with only those skippable characters between them, so that `note;=cmd` read with `;`
  as the separator (or by a reader that ignores quotes) yields `'=cmd`, text, not a formula; and
  `\n=cmd` becomes `'\n'=cmd`, since such a reader starts a new row at the line break.

Each quote is put where `restore` finds it again, so `restore(neutralise(cell)) == cell` for every
cell (the vocabulary file is read back exactly). Cells holding a separator or a quote are written
quoted (RFC 4180). Numbers the catalogue holds as numbers (a negative longitude) never pass through
here: `-73.98` stays a number. Nested values are JSON (`json_cell`), kept valid JSON.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable

FORMULA = frozenset("=+-@")
SEPARATORS = frozenset(",;\t\r\n")
LINE_BREAKS = frozenset("\r\n")
QUOTES = frozenset("'\"")
_NEEDS_QUOTING = re.compile(r'[",;\t\r\n]')
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def _is_formula(ch: str) -> bool:
    return ch in FORMULA or unicodedata.normalize("NFKC", ch)[:1] in FORMULA


def _skippable(ch: str) -> bool:
    """Characters a spreadsheet passes over before a formula character."""
    return ch in QUOTES or ch.isspace() or unicodedata.category(ch) == "Cf"


def _leading(cell: str) -> bool:
    """The cell as a whole would start a formula (or starts with a tab or a carriage return)."""
    unquoted = cell.lstrip("'\"")
    if unquoted[:1] in ("\t", "\r"):
        return True
    for ch in cell:
        if not _skippable(ch):
            return _is_formula(ch)
    return False


def _after_separator(cell: str, index: int) -> bool:
    """The formula character at `index` follows a separator, with only skippable characters between.
    A line break always counts (a reader that does not see the cell's quotes starts a new row there);
    before a formula character preceded by nothing but skippable characters and no line break, the
    cell itself starts the formula (`_leading`)."""
    k, crossed = index - 1, False
    while k >= 0 and _skippable(cell[k]):
        if cell[k] in LINE_BREAKS:
            return True
        crossed = crossed or cell[k] in SEPARATORS  # a tab
        k -= 1
    return k >= 0 and (crossed or cell[k] in SEPARATORS)


def formula_like(cell: str) -> bool:
    """Whether a spreadsheet could read a formula in this cell (or in a piece of it split off at a
    separator)."""
    return _leading(cell) or any(_is_formula(ch) and _after_separator(cell, i) for i, ch in enumerate(cell))


def neutralise(cell: str) -> str:
    """The cell with a single quote in front of every formula a spreadsheet could find in it."""
    out: list[str] = []
    for i, ch in enumerate(cell):
        if _is_formula(ch) and _after_separator(cell, i):
            out.append("'")
        out.append(ch)
    text = "".join(out)
    return "'" + text if _leading(cell) else text


def restore(cell: str) -> str:
    """The cell `neutralise` was given: the quotes it added are taken off, nothing else."""
    if cell.startswith("'") and _leading(cell[1:]):
        cell = cell[1:]
    out: list[str] = []
    for i, ch in enumerate(cell):
        if ch == "'" and i + 1 < len(cell) and _is_formula(cell[i + 1]) and _after_separator(cell, i + 1):
            continue
        out.append(ch)
    return "".join(out)


def json_cell(value: object) -> str:
    """Nested data as compact JSON in one cell, still valid JSON: a formula character inside a string
    that a split at a separator would expose is written as its `\\uXXXX` escape (the same text once
    parsed); numbers stay numbers."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    inside = {i for m in _JSON_STRING.finditer(text) for i in range(m.start() + 1, m.end() - 1)}
    return "".join(
        f"\\u{ord(ch):04x}" if i in inside and _is_formula(ch) and _after_separator(text, i) else ch
        for i, ch in enumerate(text)
    )


def field(cell: str) -> str:
    """One CSV field: quoted (quotes doubled) when it holds a separator, a quote or a line break."""
    return '"' + cell.replace('"', '""') + '"' if _NEEDS_QUOTING.search(cell) else cell


def row(cells: Iterable[str], *, terminator: str = "\r\n") -> str:
    """One CSV record (RFC 4180) of cells that are already text."""
    fields = [field(c) for c in cells]
    if fields == [""]:
        fields = ['""']  # a record of one empty field is not an empty line
    return ",".join(fields) + terminator
