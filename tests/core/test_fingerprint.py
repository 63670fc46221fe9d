"""Fingerprint values: text round-trip, distance, refusal of incomparable hashes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from evidence.core.fingerprint import (
    PDQ_ALGORITHM,
    PDQ_VERSION,
    Fingerprint,
)

PDQ_HEX = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"

pdq_values = st.binary(min_size=32, max_size=32)
pdq_fingerprints = st.builds(
    Fingerprint,
    st.just(PDQ_ALGORITHM),
    st.just(PDQ_VERSION),
    pdq_values,
    st.none() | st.integers(0, 100),
)
any_fingerprints = st.builds(
    Fingerprint,
    st.from_regex(r"[a-z0-9][a-z0-9_-]{0,11}", fullmatch=True).filter(lambda a: a != PDQ_ALGORITHM),
    st.integers(1, 10_000),
    st.binary(min_size=1, max_size=64),
)


def pdq(hex_value: str, quality: int | None = None) -> Fingerprint:
    return Fingerprint.from_hex(PDQ_ALGORITHM, PDQ_VERSION, hex_value, quality)


def test_text_form() -> None:
    fp = pdq(PDQ_HEX, 100)
    assert fp.hex == PDQ_HEX
    assert fp.tagged == f"pdq.v1:{PDQ_HEX}"
    assert str(fp) == fp.tagged
    assert fp.nbits == 256


@given(pdq_fingerprints)
def test_parse_round_trips_pdq(fp: Fingerprint) -> None:
    parsed = Fingerprint.parse(fp.tagged)
    assert parsed == fp
    assert parsed.tagged == fp.tagged
    assert Fingerprint.parse(fp.tagged, quality=fp.quality).quality == fp.quality


@given(any_fingerprints)
def test_parse_round_trips_other_algorithms(fp: Fingerprint) -> None:
    assert Fingerprint.parse(fp.tagged) == fp


def test_quality_is_not_part_of_identity() -> None:
    assert pdq(PDQ_HEX, 3) == pdq(PDQ_HEX, 100) == pdq(PDQ_HEX)
    assert len({pdq(PDQ_HEX, 3), pdq(PDQ_HEX, 100)}) == 1


def test_from_hex_accepts_upper_case() -> None:
    assert pdq(PDQ_HEX.upper()) == pdq(PDQ_HEX)


@pytest.mark.parametrize(
    "text",
    [
        "",
        PDQ_HEX,
        f"pdq:{PDQ_HEX}",
        f"pdq.v0:{PDQ_HEX}",
        f"pdq.v01:{PDQ_HEX}",
        f"pdq.v-1:{PDQ_HEX}",
        f"PDQ.v1:{PDQ_HEX}",
        f"pdq.V1:{PDQ_HEX}",
        f"pdq.v1:{PDQ_HEX.upper()}",
        f"pdq.v1:{PDQ_HEX[:-1]}",
        f"pdq.v1:{PDQ_HEX[:-2]}",
        f"pdq.v1:{PDQ_HEX}00",
        f"pdq.v1:{PDQ_HEX[:-1]}g",
        f" pdq.v1:{PDQ_HEX}",
        f"pdq.v1:{PDQ_HEX}\n",
        "pdq.v1:",
        ".v1:00",
        "sha256.v1",
    ],
)
def test_parse_rejects_malformed(text: str) -> None:
    with pytest.raises(ValueError):
        Fingerprint.parse(text)


@pytest.mark.parametrize(
    ("algorithm", "version", "value", "quality"),
    [
        ("pdq", 1, bytes(31), None),
        ("pdq", 1, bytes(33), None),
        ("Pdq", 1, bytes(32), None),
        ("", 1, b"\x00", None),
        ("pdq", 0, bytes(32), None),
        ("pdq", True, bytes(32), None),
        ("x", 1, b"", None),
        ("pdq", 1, bytes(32), 101),
        ("pdq", 1, bytes(32), -1),
    ],
)
def test_constructor_rejects_invalid(algorithm: str, version: int, value: bytes, quality: int | None) -> None:
    with pytest.raises(ValueError):
        Fingerprint(algorithm, version, value, quality)


def test_is_frozen() -> None:
    fp = pdq(PDQ_HEX)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fp.value = bytes(32)  # type: ignore[misc]


def test_bits_follow_the_hex() -> None:
    bits = pdq(PDQ_HEX).bits
    assert bits.shape == (256,)
    assert set(np.unique(bits).tolist()) <= {0, 1}
    assert "".join(map(str, bits.tolist())) == bin(int(PDQ_HEX, 16))[2:].zfill(256)
    assert np.packbits(bits).tobytes() == bytes.fromhex(PDQ_HEX)


@given(pdq_fingerprints, pdq_fingerprints, pdq_fingerprints)
def test_distance_is_a_metric(a: Fingerprint, b: Fingerprint, c: Fingerprint) -> None:
    assert a.distance(a) == 0
    assert a.distance(b) == b.distance(a) == a - b == b - a
    assert a.distance(b) == int(np.count_nonzero(a.bits != b.bits))
    assert a.distance(c) <= a.distance(b) + b.distance(c)
    assert 0 <= a - b <= 256


def test_distance_of_known_pair() -> None:
    # Meta's bridge original against a lightly blurred copy (their published hashes)
    blurred = "f8f8f0cee0f4a84f06370a2a038f63f0b36e26d596621e1d33e6b39c4e9c9b22"
    assert pdq(PDQ_HEX) - pdq(blurred) == 2


@pytest.mark.parametrize(
    "other",
    [
        Fingerprint("pdq", 2, bytes(32)),
        Fingerprint("phash", 1, bytes(32)),
        Fingerprint("phash", 1, bytes(8)),
    ],
)
def test_incomparable_fingerprints_are_refused(other: Fingerprint) -> None:
    fp = pdq(PDQ_HEX)
    with pytest.raises(ValueError, match="incomparable"):
        fp.distance(other)
    with pytest.raises(ValueError, match="incomparable"):
        _ = other - fp
    assert not fp.is_comparable(other)


def test_same_algorithm_different_length_is_refused() -> None:
    with pytest.raises(ValueError):
        Fingerprint("phash", 1, bytes(8)).distance(Fingerprint("phash", 1, bytes(16)))


def test_subtracting_a_non_fingerprint_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        _ = pdq(PDQ_HEX) - 3
    with pytest.raises(TypeError):
        pdq(PDQ_HEX).distance(PDQ_HEX)  # type: ignore[arg-type]
