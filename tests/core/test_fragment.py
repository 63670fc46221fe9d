"""W3C media fragments and the times and boxes analysts type: parsing, validation, round trips."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evidence.core.box import Box
from evidence.core.fragment import (
    MediaFragment,
    check_box,
    format_clock,
    format_seconds,
    parse_box,
    parse_fragment,
    parse_range,
    parse_time,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("12.5", Fraction(25, 2)),
        ("0", Fraction(0)),
        ("12.", Fraction(12)),
        ("01:02.5", Fraction(125, 2)),
        ("1:02", Fraction(62)),
        ("1:00:00.25", Fraction(14401, 4)),
        (" 0:10 ", Fraction(10)),
    ],
)
def test_times_are_seconds_or_clock_times(text: str, seconds: Fraction) -> None:
    assert parse_time(text) == seconds


@pytest.mark.parametrize("text", ["", "-1", "abc", "1:2", "1:60", "1:02:03:04", "1e3", "nan", "12,5"])
def test_bad_times_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_time(text)


def test_ranges() -> None:
    assert parse_range("10-12.5") == (Fraction(10), Fraction(25, 2))
    assert parse_range("0:10 - 0:12.5") == (Fraction(10), Fraction(25, 2))
    assert parse_range("10,12") == (Fraction(10), Fraction(12))
    for bad in ("12-10", "10-10", "10", "10-", "-10", "1-2-3"):
        with pytest.raises(ValueError):
            parse_range(bad)


def test_boxes() -> None:
    assert parse_box("100,200,150,60") == Box(100, 200, 150, 60)
    assert parse_box(" 0, 0, 1, 1 ") == Box(0, 0, 1, 1)
    for bad in ("1,2,3", "1,2,0,4", "1,2,3,0", "-1,2,3,4", "1.5,2,3,4", "a,b,c,d", ""):
        with pytest.raises(ValueError):
            parse_box(bad)
    check_box(Box(0, 0, 320, 240), 320, 240)
    check_box(Box(5000, 5000, 10, 10), None, None)  # size unknown: only the shape is checked
    with pytest.raises(ValueError, match="outside"):
        check_box(Box(300, 0, 30, 10), 320, 240)
    with pytest.raises(ValueError, match="outside"):
        check_box(Box(0, 200, 10, 41), 320, 240)


def test_fragment_text() -> None:
    assert MediaFragment(Fraction(10), Fraction(12), Box(100, 200, 150, 60)).to_text() == (
        "t=10,12&xywh=100,200,150,60"
    )
    assert MediaFragment(Fraction(1, 2), Fraction(3, 2)).to_text() == "t=0.5,1.5"
    assert MediaFragment(box=Box(1, 2, 3, 4)).to_text() == "xywh=1,2,3,4"
    assert MediaFragment().to_text() == ""
    assert MediaFragment(None, Fraction(12)).to_text() == "t=,12"


def test_a_frame_time_rounds_up_into_its_frame() -> None:
    # frame 20 of a 30 fps clip starts at 0.6667 s: 0.667 is inside it, 0.666 would show frame 19
    assert MediaFragment(Fraction(20, 30), frame=True).to_text() == "t=0.667"
    assert MediaFragment(Fraction(2, 3)).to_text() == "t=0.667"  # nearest anyway
    assert MediaFragment(Fraction(1, 30), frame=True).to_text() == "t=0.034"
    assert MediaFragment(Fraction(1, 30)).to_text() == "t=0.033"
    # a stored float's last-bit noise does not move an exact millisecond up
    assert MediaFragment(Fraction(0.1), frame=True).to_text() == "t=0.1"
    assert MediaFragment(Fraction(1.0), frame=True).to_text() == "t=1"


def test_other_spec_forms_are_read() -> None:
    assert parse_fragment("#t=npt:10,20") == MediaFragment(Fraction(10), Fraction(20))
    assert parse_fragment("t=00:01:02.5") == MediaFragment(Fraction(125, 2))
    assert parse_fragment("t=,12") == MediaFragment(None, Fraction(12))
    assert parse_fragment("xywh=pixel:1,2,3,4&t=5").box == Box(1, 2, 3, 4)
    assert parse_fragment("xywh=percent:25,25,50,50").box == Box(25, 25, 50, 50, "percent")
    assert parse_fragment("track=audio&id=x&t=1,2") == MediaFragment(Fraction(1), Fraction(2))
    assert parse_fragment("t%3D=1") == MediaFragment()  # a name that is not `t` is ignored
    assert parse_fragment("t=1%2C2") == MediaFragment(Fraction(1), Fraction(2))
    assert parse_fragment("") == MediaFragment()


@pytest.mark.parametrize(
    "text",
    ["t=12,10", "t=5,5", "t=", "t=1,", "t=smpte:00:01:00", "xywh=1,2,3", "xywh=1,2,0,4", "t=1&t=2", "t=x"],
)
def test_malformed_fragments_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_fragment(text)


millis = st.integers(min_value=0, max_value=10_000_000).map(lambda m: Fraction(m, 1000))
boxes = st.builds(
    Box,
    st.integers(0, 10_000),
    st.integers(0, 10_000),
    st.integers(1, 10_000),
    st.integers(1, 10_000),
)


@given(start=st.none() | millis, length=st.none() | millis.filter(bool), box=st.none() | boxes)
def test_fragments_round_trip(start: Fraction | None, length: Fraction | None, box: Box | None) -> None:
    end = None if length is None else (start or 0) + length
    fragment = MediaFragment(start, end, box)
    text = fragment.to_text()
    assert parse_fragment(text) == fragment
    assert parse_fragment("#" + text).to_text() == text


@given(millis)
def test_times_round_trip_through_both_notations(value: Fraction) -> None:
    assert parse_time(format_seconds(value)) == value
    assert parse_time(format_clock(value)) == value
