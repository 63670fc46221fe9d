"""Hash list formats read and written (`core/hashlists.py`): what is written reads back the same, a
name with commas stays whole, a spreadsheet-safe name is restored, and a wrong line names itself."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evidence.core import csvsafe
from evidence.core.hashlists import CSV_HEADER, ListEntry, ListFormatError, detect, parse, write

HEX = st.text("0123456789abcdef", min_size=64, max_size=64)
NAMES = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=40).map(str.strip)


@given(st.lists(st.tuples(HEX, st.integers(0, 100), NAMES), min_size=1, max_size=20))
def test_threatexchange_lines_read_back_as_written(rows: list[tuple[str, int, str]]) -> None:
    entries = [ListEntry(name, pdq, quality) for pdq, quality, name in rows]
    text = write(entries, "threatexchange")
    assert detect(text) == "threatexchange"
    assert parse(text, "threatexchange") == entries


@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 100), HEX), min_size=1, max_size=20))
def test_vpdq_lines_read_back_as_written(rows: list[tuple[int, int, str]]) -> None:
    entries = [
        ListEntry("clip.mp4", pdq, quality, frame, round(frame / 25, 3)) for frame, quality, pdq in rows
    ]
    text = write(entries, "vpdq")
    assert detect(text) == "vpdq"
    assert parse(text, "vpdq", label="clip.mp4") == entries


def test_a_csv_name_made_safe_for_spreadsheets_is_read_back_as_it_was() -> None:
    name = '=HYPERLINK("http://x"),photo.jpg'
    row = ["1", "ab" * 32, "image", csvsafe.neutralise(name), "0", "0.000", "100", "cd" * 32]
    text = csvsafe.row(CSV_HEADER) + csvsafe.row(row)
    assert detect(text) == "csv"
    assert parse(text, "csv") == [ListEntry(name, "cd" * 32, 100, 0, 0.0)]


def test_upper_case_hashes_are_read_as_lower_case() -> None:
    assert parse("AB" * 32 + ",90,x\n", "threatexchange") == [ListEntry("x", "ab" * 32, 90)]


@pytest.mark.parametrize(
    ("text", "fmt", "line"),
    [
        ("ab" * 32 + ",50,a\n\nzz,50,b\n", "threatexchange", 3),
        ("ab" * 32 + ",-1,a\n", "threatexchange", 1),
        ("0,50," + "ab" * 32 + ",1.0\nx,50," + "ab" * 32 + ",2.0\n", "vpdq", 2),
        ("0,50," + "ab" * 32 + ",soon\n", "vpdq", 1),
        ("ab" * 32 + ",50," + "a" * 600 + "\n", "threatexchange", 1),
        ("ab" * 32 + ",50,tab\there\n", "threatexchange", 1),
    ],
)
def test_a_wrong_line_is_named(text: str, fmt: str, line: int) -> None:
    with pytest.raises(ListFormatError) as raised:
        parse(text, fmt)
    assert raised.value.line == line
