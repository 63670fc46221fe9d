"""Byte ranges as a browser's player asks for them, and the headers a server may answer with the whole
file instead (RFC 9110 section 14)."""

from __future__ import annotations

import pytest

from evidence.web.ranges import ByteRange, Unsatisfiable, byte_range


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-", ByteRange(0, 999)),
        ("bytes=0-0", ByteRange(0, 0)),
        ("bytes=100-199", ByteRange(100, 199)),
        ("bytes=900-5000", ByteRange(900, 999)),  # an end past the file ends with it
        ("bytes=-1", ByteRange(999, 999)),
        ("bytes=-5000", ByteRange(0, 999)),  # a suffix longer than the file is the whole file
        (" Bytes = 5 - 9 ", ByteRange(5, 9)),
    ],
)
def test_a_range_is_the_bytes_it_names(header: str, expected: ByteRange) -> None:
    assert byte_range(header, 1000) == expected
    assert expected.content_range(1000) == f"bytes {expected.start}-{expected.end}/1000"


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "bytes=0-1,5-9",
        "items=0-5",
        "bytes=9-5",
        "bytes=-",
        "bytes=a-b",
        "bytes=\u0661-\u0662",
        "bytes=5",
    ],
)
def test_what_is_not_one_plain_range_gets_the_whole_file(header: str | None) -> None:
    assert byte_range(header, 1000) is None


@pytest.mark.parametrize(
    ("header", "size"),
    [("bytes=1000-", 1000), ("bytes=2000-3000", 1000), ("bytes=-0", 1000), ("bytes=-5", 0)],
)
def test_a_range_past_the_end_is_unsatisfiable(header: str, size: int) -> None:
    with pytest.raises(Unsatisfiable):
        byte_range(header, size)
