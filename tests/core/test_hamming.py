"""Packed PDQ hashes: big-endian words, and distances that are the bit counts of the XOR."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from evidence.core.hamming import distances, pack

PDQ_HEX = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"

pdq_values = st.binary(min_size=32, max_size=32)


def _distance(a: bytes, b: bytes) -> int:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).bit_count()


@given(st.lists(pdq_values, min_size=1, max_size=40), pdq_values)
def test_packed_distances_match_scalar_distances(values: list[bytes], query: bytes) -> None:
    matrix = pack(values)
    assert matrix.shape == (len(values), 4)
    assert matrix.dtype == np.uint64
    assert distances(pack([query])[0], matrix).tolist() == [_distance(query, v) for v in values]
    assert distances(pack([query] * len(values)), matrix).tolist() == [_distance(query, v) for v in values]


@given(st.lists(pdq_values, max_size=10))
def test_bytes_hex_and_matrix_pack_alike(values: list[bytes]) -> None:
    as_matrix = np.frombuffer(b"".join(values), dtype=np.uint8).reshape(len(values), 32)
    assert np.array_equal(pack(values), pack([v.hex() for v in values]))
    assert np.array_equal(pack(values), pack(as_matrix))


def test_pack_word_order_is_big_endian() -> None:
    row = pack([bytes.fromhex(PDQ_HEX)])[0]
    assert [f"{int(w):016x}" for w in row] == [PDQ_HEX[i : i + 16] for i in range(0, 64, 16)]
    assert np.array_equal(pack([PDQ_HEX.upper()]), pack([bytes.fromhex(PDQ_HEX)]))


def test_pack_empty_and_wrong_lengths() -> None:
    assert pack([]).shape == (0, 4)
    assert pack(np.empty((0, 32), dtype=np.uint8)).shape == (0, 4)
    with pytest.raises(ValueError):
        pack([bytes(32), bytes(31)])
    with pytest.raises(ValueError):
        pack(np.zeros((2, 31), dtype=np.uint8))


def test_distances_check_shapes() -> None:
    matrix = pack([bytes.fromhex(PDQ_HEX)] * 3)
    with pytest.raises(ValueError):
        distances(matrix[0][:2], matrix)
    with pytest.raises(ValueError):
        distances(matrix[0].astype(np.int64), matrix.astype(np.int64))  # type: ignore[arg-type]


def test_distances_without_bitwise_count(monkeypatch: pytest.MonkeyPatch) -> None:
    values = [bytes.fromhex(PDQ_HEX), bytes(32), b"\xff" * 32]
    monkeypatch.delattr(np, "bitwise_count", raising=False)  # the numpy 1.x path
    expected = [0, _distance(values[0], values[1]), _distance(values[0], values[2])]
    assert distances(pack(values)[0], pack(values)).tolist() == expected
