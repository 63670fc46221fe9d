"""PDQ perceptual hash (Meta ThreatExchange, 256 bits plus a 0-100 quality), a numpy port.

Follows Meta's published C++ reference (``pdq/cpp/hashing/pdqhashing.cpp``, ``downscaling.cpp``):
luminance 0.299 R + 0.587 G + 0.114 B in float; per axis two passes of a clipped, edge-normalised box
filter ("Jarosz") with window ``ceil(n / 128)``; decimation to 64x64 at ``int((k + 0.5) * n / 64)``; the
quality metric from truncated gradients of that 64x64 image; a 16x64 DCT matrix (frequencies 1..16);
bits set where a coefficient exceeds the median (Torben's: the 128th smallest); the 8 dihedral hashes
by sign flips and transposes of the 16x16 coefficients. Bit ``i*16+j`` is coefficient (i, j) and the hex
form is the reference's (word 15 first), i.e. the 256-bit integer ``sum(bit_k << k)`` big-endian.

Deviations from the reference (none changes a hash of the shared conformance images):

* Blur and decimation are applied as one precomputed linear operator per axis (the two box passes
  composed, then sampled: 64 rows of at most 2w - 1 taps), evaluated only at the 64 sampled rows and
  columns. Real arithmetic
  is identical; float32 rounding differs from the reference's running sums.
* From RGB, channels are reduced along rows first and combined into luminance afterwards (linear, so
  again only float32 rounding differs). The DCT runs as float32 BLAS products, not sequential sums.
* These rounding differences can flip a bit whose coefficient lies within ~1e-5 of the median, or move
  the quality by one where a gradient sits on an integer boundary; images that differ only in this
  way are far inside any matching threshold.
"""

from __future__ import annotations

import functools
from typing import Final

import numpy as np
import numpy.typing as npt

from evidence.core.names import DIHEDRAL_NAMES  # the order of `pdq_dihedral_*` results

PdqHash = tuple[bytes, int]
"""(32 hash bytes in the reference's hex order, quality 0..100)"""

MIN_HASHABLE_DIM: Final = 5
_SIDE: Final = 64
_LUMA_COEFFS: Final = np.array([0.299, 0.587, 0.114], dtype=np.float32)
_GATHER_BUDGET: Final = 4_000_000  # float32 elements gathered at once by the row reduction
_ZERO_HASH: Final = bytes(32)

FloatArray = npt.NDArray[np.float32]


def _dct_matrix() -> FloatArray:
    # as the reference: a float scale times a double cosine, stored as float
    i = np.arange(16, dtype=np.float64)[:, None]
    j = np.arange(_SIDE, dtype=np.float64)[None, :]
    scale = np.float64(np.float32(np.sqrt(2.0 / _SIDE)))
    matrix = (scale * np.cos((np.pi / 2.0 / _SIDE) * (i + 1.0) * (2.0 * j + 1.0))).astype(np.float32)
    matrix.setflags(write=False)
    return matrix


_DCT: Final = _dct_matrix()
_DCT_T: Final = np.ascontiguousarray(_DCT.T)
_ODD: Final = np.where(np.arange(16) % 2 == 1, 1, -1).astype(np.float32)
_CHECKER: Final = np.where(np.add.outer(np.arange(16), np.arange(16)) % 2 == 1, -1, 1).astype(np.float32)


def jarosz_window_size(old_dimension: int, new_dimension: int = _SIDE) -> int:
    """The reference's per-pass box window: ceil(old / (2 * new))."""
    return (old_dimension + 2 * new_dimension - 1) // (2 * new_dimension)


@functools.lru_cache(maxsize=64)
def _taps(n: int) -> tuple[npt.NDArray[np.intp], FloatArray]:
    """Blur-and-decimate along an axis of length n as 64 rows of taps: input indices and weights.

    Row k is row ``int((k + 0.5) * n / 64)`` of B @ B, B being the reference's clipped box pass
    (window w, mean over the in-range neighbours); its support spans at most 2w - 1 inputs.
    """
    window = jarosz_window_size(n)
    half = (window + 2) // 2
    pos = np.arange(n)
    lo = np.maximum(pos - (window - half), 0)
    hi = np.minimum(pos + (half - 1), n - 1)
    count = (hi - lo + 1).astype(np.float64)
    samples = ((np.arange(_SIDE) + 0.5) * n / _SIDE).astype(np.intp)
    taps = 2 * window - 1
    index = (np.minimum(lo[lo[samples]], n - taps)[:, None] + np.arange(taps)[None, :]).astype(np.intp)
    # first pass: sample s averages j in [lo[s], hi[s]]; second: each j averages m in [lo[j], hi[j]]
    inner = lo[samples][:, None] + np.arange(window)[None, :]  # (64, window)
    inner_weight = (inner <= hi[samples][:, None]) / count[samples][:, None]
    inner = np.minimum(inner, n - 1)
    height = inner_weight / count[inner]  # each j adds `height` over [lo[j], hi[j]]: a difference array
    rows = np.broadcast_to(np.arange(_SIDE)[:, None], inner.shape)
    steps = np.zeros((_SIDE, taps + 1), dtype=np.float64)
    np.add.at(steps, (rows, lo[inner] - index[:, :1]), height)
    np.add.at(steps, (rows, hi[inner] + 1 - index[:, :1]), -height)
    weights = np.cumsum(steps[:, :taps], axis=1).astype(np.float32)
    index.setflags(write=False)
    weights.setflags(write=False)
    return index, weights


@functools.lru_cache(maxsize=64)
def _column_operator_t(n: int) -> FloatArray:
    """The same operator as a dense, transposed n x 64 float32 matrix, for the column reduction."""
    index, weights = _taps(n)
    op_t = np.zeros((n, _SIDE), dtype=np.float32)
    op_t[index, np.arange(_SIDE)[:, None]] = weights
    op_t.setflags(write=False)
    return op_t


def _reduce_rows(plane: npt.NDArray[np.generic]) -> FloatArray:
    """Blur-and-decimate along axis 0: (n, m) of any real dtype -> (64, m) float32."""
    index, weights = _taps(plane.shape[0])
    taps, width = index.shape[1], plane.shape[1]
    out = np.empty((_SIDE, width), dtype=np.float32)
    step = max(1, _GATHER_BUDGET // max(1, taps * width))
    for start in range(0, _SIDE, step):
        stop = min(start + step, _SIDE)
        gathered = plane[index[start:stop]].astype(np.float32, copy=False)  # (rows, taps, m)
        out[start:stop] = np.matmul(weights[start:stop, None, :], gathered)[:, 0, :]
    return out


def _check_plane(y: npt.NDArray[np.generic]) -> None:
    if y.ndim != 2:
        raise ValueError(f"expected a 2-D luminance plane, got shape {y.shape}")
    if not (np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.floating)):
        raise ValueError(f"expected a real-valued luminance plane, got dtype {y.dtype}")


def _check_rgb(rgb: npt.NDArray[np.generic]) -> None:
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an H x W x 3 RGB array, got shape {rgb.shape}")
    if not (np.issubdtype(rgb.dtype, np.integer) or np.issubdtype(rgb.dtype, np.floating)):
        raise ValueError(f"expected a real-valued RGB array, got dtype {rgb.dtype}")


def _too_small(shape: tuple[int, ...]) -> bool:
    return shape[0] < MIN_HASHABLE_DIM or shape[1] < MIN_HASHABLE_DIM


def downsample_luma(y: npt.NDArray[np.generic]) -> FloatArray:
    """The reference's blurred 64x64 float luminance of a 2-D plane (at least 5x5)."""
    _check_plane(y)
    if _too_small(y.shape):
        raise ValueError(f"PDQ needs at least {MIN_HASHABLE_DIM}x{MIN_HASHABLE_DIM} pixels, got {y.shape}")
    return _reduce_rows(y) @ _column_operator_t(y.shape[1])


def downsample_rgb(rgb: npt.NDArray[np.generic]) -> FloatArray:
    """The blurred 64x64 float luminance of an H x W x 3 RGB array (at least 5x5)."""
    _check_rgb(rgb)
    if _too_small(rgb.shape):
        raise ValueError(f"PDQ needs at least {MIN_HASHABLE_DIM}x{MIN_HASHABLE_DIM} pixels, got {rgb.shape}")
    height, width = rgb.shape[:2]
    reduced = _reduce_rows(rgb.reshape(height, width * 3)).reshape(_SIDE, width, 3)
    luma = np.ascontiguousarray(reduced @ _LUMA_COEFFS)
    return luma @ _column_operator_t(width)


def quality_metric(buffer64: FloatArray) -> int:
    """The reference's quality: truncated vertical and horizontal gradients (in %), summed, / 90, <= 100."""
    hundred, full = np.float32(100), np.float32(255)  # (u - v) * 100 / 255 in float, as the reference
    vertical = np.trunc((buffer64[:-1, :] - buffer64[1:, :]) * hundred / full)
    horizontal = np.trunc((buffer64[:, :-1] - buffer64[:, 1:]) * hundred / full)
    gradient_sum = int(np.abs(vertical).sum(dtype=np.int64) + np.abs(horizontal).sum(dtype=np.int64))
    return min(gradient_sum // 90, 100)


def _dct16(buffer64: FloatArray) -> FloatArray:
    return np.asarray((_DCT @ buffer64) @ _DCT_T, dtype=np.float32)


def _bits_to_bytes(coefficients: FloatArray) -> bytes:
    median = np.partition(coefficients.ravel(), 127)[127]  # Torben's median of 256 values
    bits = (coefficients > median).ravel()
    return np.packbits(bits[::-1]).tobytes()


def _dihedral_coefficients(dct: FloatArray) -> list[FloatArray]:
    # sign patterns and transposes as the reference's dct16OriginalTo* functions
    return [
        dct,
        (dct * _ODD[None, :]).T,
        dct * _CHECKER,
        (dct * _ODD[:, None]).T,
        dct * _ODD[:, None],
        dct * _ODD[None, :],
        dct.T,
        (dct * _CHECKER).T,
    ]


def _hash_buffer(buffer64: FloatArray) -> PdqHash:
    return _bits_to_bytes(_dct16(buffer64)), quality_metric(buffer64)


def _dihedral_buffer(buffer64: FloatArray) -> list[PdqHash]:
    quality = quality_metric(buffer64)
    return [(_bits_to_bytes(c), quality) for c in _dihedral_coefficients(_dct16(buffer64))]


def pdq_from_luma(y: npt.NDArray[np.generic]) -> PdqHash:
    """PDQ of a 2-D luminance plane (uint8 or float, any size). Under 5x5: zero hash, quality 0."""
    _check_plane(y)
    if _too_small(y.shape):
        return _ZERO_HASH, 0
    return _hash_buffer(downsample_luma(y))


def pdq_from_rgb(rgb: npt.NDArray[np.generic]) -> PdqHash:
    """PDQ of an H x W x 3 RGB array (uint8). Under 5x5: zero hash, quality 0."""
    _check_rgb(rgb)
    if _too_small(rgb.shape):
        return _ZERO_HASH, 0
    return _hash_buffer(downsample_rgb(rgb))


def pdq_dihedral_from_luma(y: npt.NDArray[np.generic]) -> list[PdqHash]:
    """The 8 dihedral PDQ hashes of a luminance plane, in `DIHEDRAL_NAMES` order."""
    _check_plane(y)
    if _too_small(y.shape):
        return [(_ZERO_HASH, 0)] * len(DIHEDRAL_NAMES)
    return _dihedral_buffer(downsample_luma(y))


def pdq_dihedral_from_rgb(rgb: npt.NDArray[np.generic]) -> list[PdqHash]:
    """The 8 dihedral PDQ hashes of an RGB array, in `DIHEDRAL_NAMES` order."""
    _check_rgb(rgb)
    if _too_small(rgb.shape):
        return [(_ZERO_HASH, 0)] * len(DIHEDRAL_NAMES)
    return _dihedral_buffer(downsample_rgb(rgb))


def pdq_and_mirror_from_luma(y: npt.NDArray[np.generic]) -> tuple[bytes, bytes, int]:
    """PDQ of a luminance plane and of its left-right mirror image (`flipy`), from one DCT."""
    _check_plane(y)
    if _too_small(y.shape):
        return _ZERO_HASH, _ZERO_HASH, 0
    buffer64 = downsample_luma(y)
    dct = _dct16(buffer64)
    return _bits_to_bytes(dct), _bits_to_bytes(dct * _ODD[None, :]), quality_metric(buffer64)
