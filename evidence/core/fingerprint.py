"""Fingerprints as self-describing values: algorithm, version, bits, optional quality.

The text form is `<algorithm>.v<version>:<lowercase hex>`, e.g. `pdq.v1:f8f8…22`. Hashes of a different
algorithm, version or length are never compared: `distance` refuses them.

Stdlib and numpy only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

PDQ_ALGORITHM: Final = "pdq"
PDQ_VERSION: Final = 1

#: value lengths in bytes that known (algorithm, version) pairs must have
KNOWN_LENGTHS: Final[dict[tuple[str, int], int]] = {(PDQ_ALGORITHM, PDQ_VERSION): 32}

_ALGORITHM_RE: Final = re.compile(r"[a-z0-9][a-z0-9_-]*")
_TAGGED_RE: Final = re.compile(r"([a-z0-9][a-z0-9_-]*)\.v([1-9][0-9]*):((?:[0-9a-f]{2})+)")
_HEX_RE: Final = re.compile(r"(?:[0-9a-fA-F]{2})+")


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """A perceptual (or other) hash with its algorithm and version.

    Equality and hashing use algorithm, version and value only: `quality` describes the source
    (0 = flat, 100 = full of detail) and is not part of the hash's identity or its text form.
    """

    algorithm: str
    version: int
    value: bytes
    quality: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.algorithm, str) or not _ALGORITHM_RE.fullmatch(self.algorithm):
            raise ValueError(f"bad fingerprint algorithm name: {self.algorithm!r}")
        if isinstance(self.version, bool) or not isinstance(self.version, int) or self.version < 1:
            raise ValueError(f"fingerprint version must be an integer >= 1, not {self.version!r}")
        if not isinstance(self.value, bytes) or not self.value:
            raise ValueError("fingerprint value must be non-empty bytes")
        expected = KNOWN_LENGTHS.get((self.algorithm, self.version))
        if expected is not None and len(self.value) != expected:
            raise ValueError(
                f"{self.algorithm}.v{self.version} fingerprints are {expected} bytes, not {len(self.value)}"
            )
        quality = self.quality
        if quality is not None and (
            isinstance(quality, bool) or not isinstance(quality, int) or not 0 <= quality <= 100
        ):
            raise ValueError(f"fingerprint quality must be an integer 0..100, not {self.quality!r}")

    @classmethod
    def from_hex(
        cls, algorithm: str, version: int, hex_value: str, quality: int | None = None
    ) -> Fingerprint:
        """Build from a bare hex string (either case), e.g. one published by another tool."""
        if not _HEX_RE.fullmatch(hex_value):
            raise ValueError(f"not an even-length hex string: {hex_value!r}")
        return cls(algorithm, version, bytes.fromhex(hex_value), quality)

    @classmethod
    def parse(cls, text: str, quality: int | None = None) -> Fingerprint:
        """Parse the canonical text form `<algorithm>.v<version>:<lowercase hex>`."""
        match = _TAGGED_RE.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"not a tagged fingerprint (expected like 'pdq.v1:<hex>'): {text!r}")
        algorithm, version, hex_value = match.groups()
        return cls(algorithm, int(version), bytes.fromhex(hex_value), quality)

    @property
    def hex(self) -> str:
        return self.value.hex()

    @property
    def tagged(self) -> str:
        return f"{self.algorithm}.v{self.version}:{self.value.hex()}"

    @property
    def nbits(self) -> int:
        return 8 * len(self.value)

    @property
    def bits(self) -> npt.NDArray[np.uint8]:
        """The bits as 0/1 values, most significant bit of the first byte first (the hex order)."""
        return np.unpackbits(np.frombuffer(self.value, dtype=np.uint8))

    def is_comparable(self, other: Fingerprint) -> bool:
        return (
            self.algorithm == other.algorithm
            and self.version == other.version
            and len(self.value) == len(other.value)
        )

    def distance(self, other: Fingerprint) -> int:
        """Hamming distance; ValueError when the two are of different algorithms, versions or lengths."""
        if not isinstance(other, Fingerprint):
            raise TypeError(f"cannot compare a fingerprint with {type(other).__name__}")
        if not self.is_comparable(other):
            raise ValueError(
                f"incomparable fingerprints: {self.algorithm}.v{self.version} ({self.nbits} bits) "
                f"vs {other.algorithm}.v{other.version} ({other.nbits} bits)"
            )
        return (int.from_bytes(self.value, "big") ^ int.from_bytes(other.value, "big")).bit_count()

    def __sub__(self, other: object) -> int:
        if not isinstance(other, Fingerprint):
            return NotImplemented
        return self.distance(other)

    def __str__(self) -> str:
        return self.tagged
