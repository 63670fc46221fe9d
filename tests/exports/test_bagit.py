"""The pure pieces of exports: safe payload names, BagIt manifests and tag files, CSV cells."""

from __future__ import annotations

import csv
import io
import unicodedata

import pytest

from evidence.cli.exports.records import Table
from evidence.exports.render import bag
from evidence.exports.render.tables import COLUMNS, csv_cell, neutralise

HOSTILE = [
    "../../etc/passwd",
    "..\\..\\windows\\system32\\evil.exe",
    "clip\n<script>alert(1)</script>.mp4",
    "report\r\nX-Header: 1.jpg",
    '<img src=x onerror="alert(1)">.png',
    "a\x00b\x1b[31mred\x7f.mov",
    "100% proof?.mp4",
    "name\u202egnp.exe",  # right-to-left override
    "CON.txt",
    "...",
    "\n\r\t",
    "",
    " .hidden. ",
    "x" * 400 + ".mp4",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_safe_names_cannot_escape_or_confuse(name: str) -> None:
    safe = bag.safe_name(name, fallback="original.mp4")
    assert safe and safe not in (".", "..")
    assert "/" not in safe and "\\" not in safe and "%" not in safe
    assert not any(unicodedata.category(ch)[0] == "C" for ch in safe), repr(safe)
    assert not any(ch in safe for ch in '<>:"|?*')
    assert not safe.startswith((".", " ")) and not safe.endswith((".", " "))
    assert len(safe) <= bag.MAX_NAME
    assert not safe.upper().startswith("CON.")


def test_safe_names_keep_ordinary_names_and_scripts() -> None:
    assert bag.safe_name("Пальмира 2016-03-24 (1).mp4", fallback="x") == "Пальмира 2016-03-24 (1).mp4"
    assert bag.safe_name("VID_20160324_1012.mp4", fallback="x") == "VID_20160324_1012.mp4"
    assert bag.safe_name("../../etc/passwd", fallback="x") == "passwd"
    assert bag.safe_name("...", fallback="original.mp4") == "original.mp4"
    assert bag.safe_name("<>", fallback="original") == "original"
    long = bag.safe_name("x" * 400 + ".mp4", fallback="f")
    assert long.endswith(".mp4") and len(long) == bag.MAX_NAME
    # decomposed accents become one code point each (NFC), as bagit tools compare names
    assert bag.safe_name("cafe\u0301.jpg", fallback="x") == "caf\u00e9.jpg"


def test_payload_paths() -> None:
    sha = "ab" * 32
    assert bag.payload_path(7, sha, "clip.mp4", "mp4") == f"data/7-{sha[:12]}/clip.mp4"
    assert bag.payload_path(7, sha, "\n", "MP4") == f"data/7-{sha[:12]}/original.mp4"
    assert bag.payload_path(7, sha, None, "") == f"data/7-{sha[:12]}/original"
    assert bag.payload_path(7, sha, "..", "../x") == f"data/7-{sha[:12]}/original"


def test_manifest_lines_percent_encode_only_cr_lf_and_percent() -> None:
    assert bag.encode_path("data/a%b\r\nc d.txt") == "data/a%25b%0D%0Ac d.txt"
    text = bag.manifest([("22" * 32, "data/b.txt"), ("11" * 32, "data/a 1.txt")])
    assert text == f"{'11' * 32}  data/a 1.txt\n{'22' * 32}  data/b.txt\n"


def test_oxum_and_bag_info_values_stay_on_one_line() -> None:
    entries = [bag.PayloadEntry("data/a", "0" * 64, 10), bag.PayloadEntry("data/b", "1" * 64, 5)]
    assert bag.payload_oxum(entries) == "15.2"
    assert bag.payload_oxum([]) == "0.0"
    info = bag.bag_info([("Source-Organization", "Org\nInjected-Label: x"), ("Payload-Oxum", "15.2")])
    assert info == "Source-Organization: Org Injected-Label: x\nPayload-Oxum: 15.2\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r'=1"),  # a reader that misses the quotes starts a row at the CR: quoted there too
        ("plain, text", "plain, text"),
        ("", ""),
    ],
)
def test_text_cells_are_neutralised(text: str, expected: str) -> None:
    assert neutralise(text) == expected
    assert csv_cell(text) == expected


def test_numbers_and_other_values_are_written_as_such() -> None:
    assert csv_cell(-73.98) == "-73.98"
    assert csv_cell(-5) == "-5"
    assert csv_cell(None) == ""
    assert csv_cell(True) == "true"
    assert csv_cell({"b": "=x", "a": 1}) == '{"b":"=x","a":1}'


def test_cells_round_trip_through_the_csv_module() -> None:
    values = ['a, "quoted"\nline', "=1+1", "plain"]
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerow([csv_cell(v) for v in values])
    [row] = list(csv.reader(io.StringIO(buffer.getvalue(), newline="")))
    assert row == ['a, "quoted"\nline', "'=1+1", "plain"]


def test_the_command_offers_every_table() -> None:
    assert [t.value for t in Table] == list(COLUMNS)
