from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evidence.core.text import one_line, printable
from evidence.core.timeutil import iso, parse_instant, period_end
from evidence.core.types import AnalysisStatus


@given(st.text())
def test_printable_has_no_control_characters_and_is_one_line(text: str) -> None:
    shown = printable(text)
    assert "\n" not in shown and "\x1b" not in shown and "\r" not in shown
    assert all(ch.isprintable() or ch == " " for ch in shown)


def test_printable_shows_undecodable_bytes() -> None:
    assert printable("caf\udce9.mp4") == "caf\\xe9.mp4"
    assert one_line("a\nb\x1b[0m") == "a b\\x1b[0m"


@pytest.mark.parametrize(
    ("text", "expected", "precision"),
    [
        ("2016-03-24T10:00Z", datetime(2016, 3, 24, 10, 0, tzinfo=UTC), "minute"),
        ("2016-03-24T12:00:05+02:00", datetime(2016, 3, 24, 10, 0, 5, tzinfo=UTC), "second"),
        ("2016-03-24", datetime(2016, 3, 24, tzinfo=UTC), "day"),
        ("2016-03", datetime(2016, 3, 1, tzinfo=UTC), "month"),
        ("2016-03-27Z", datetime(2016, 3, 27, tzinfo=UTC), "day"),  # a date in UTC, said with a Z
        ("2016-03z", datetime(2016, 3, 1, tzinfo=UTC), "month"),
    ],
)
def test_parse_instant(text: str, expected: datetime, precision: str) -> None:
    instant = parse_instant(text)
    assert instant.at == expected and instant.precision == precision
    assert instant.at.tzinfo is not None


@pytest.mark.parametrize("text", ["2016-03-24T10:00", "yesterday", "2016-13-01", ""])
def test_parse_instant_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_instant(text)


@pytest.mark.parametrize(
    "text",
    ["0001-01-01T00:00+01:00", "9999-12-31T23:59-01:00", "0001-01-01T00:59:59.999999+01:00", "0000-12-31"],
)
def test_times_outside_the_calendar_in_utc_are_refused_naming_the_range(text: str) -> None:
    with pytest.raises(ValueError, match=re.escape("0001-01-01T00:00Z to 9999-12-31T23:59:59.999999Z")):
        parse_instant(text)


@pytest.mark.parametrize(
    ("text", "end"),
    [
        ("9999", None),
        ("9999-12", None),
        ("9999-12-31", None),
        ("9999-12-31T23:59Z", None),
        ("9999-12-31T23:59:59.999999Z", None),
        ("9999-12-30", datetime(9999, 12, 31, tzinfo=UTC)),
        ("0001-01-01T01:00+01:00", datetime(1, 1, 1, 0, 1, tzinfo=UTC)),
    ],
)
def test_the_last_period_of_the_calendar_has_no_end(text: str, end: datetime | None) -> None:
    assert period_end(parse_instant(text)) == end


def test_iso_is_utc_z() -> None:
    assert iso(datetime(2016, 3, 24, 10, 0, tzinfo=UTC)) == "2016-03-24T10:00:00Z"


@given(st.text(min_size=1))
def test_analysis_status_roundtrip(reason: str) -> None:
    status = AnalysisStatus.failed(reason)
    assert AnalysisStatus.parse(str(status)) == status
    assert "\n" not in str(status)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("2016-03-27T10:00", "has no timezone"),
        ("2016-03-27+03:00", "a date with an offset"),
        ("2016-03-27-0500", "a date with an offset"),
    ],
)
def test_a_refused_time_says_what_is_wrong_with_it(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_instant(text)
