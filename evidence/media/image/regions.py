"""Hashes of parts of a picture, for copies that cover part of the frame with a logo or caption box."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from evidence.core.frames import CENTER_MARGIN
from evidence.core.names import REGION_NAMES, HashVariant
from evidence.media.pdq import pdq_from_luma


def region_hashes(picture: npt.NDArray[np.uint8]) -> tuple[tuple[str, bytes, int], ...]:
    """PDQ of the four quarters of an upright picture (a copy with a large logo or caption box over
    part of the frame still matches on the quarters the box leaves alone) and of its centre (a copy
    cropped by about a tenth and scaled back matches the original's centre)."""
    height, width = picture.shape[:2]
    h2, w2 = height // 2, width // 2
    halves = (picture[:h2, :w2], picture[:h2, w2:], picture[h2:, :w2], picture[h2:, w2:])
    dy, dx = round(height * CENTER_MARGIN), round(width * CENTER_MARGIN)
    centre = picture[dy : height - dy, dx : width - dx]
    parts = tuple((name, *pdq_from_luma(half)) for name, half in zip(REGION_NAMES, halves, strict=True))
    return (*parts, (HashVariant.CENTER, *pdq_from_luma(centre)))


REDUCED_SIDE = 240  # the short side of the picture that query and part hashes are computed from


def reduced(picture: npt.NDArray[Any], side: int = REDUCED_SIDE) -> npt.NDArray[Any]:
    """The picture halved (area averaging, OpenCV's fast exact-halving path) while its short side
    stays at least `side` px (240 by default), in its own dtype. PDQ blurs and decimates to 64 x 64
    anyway, so hashes of the reduced picture stay within a few bits of the full-size ones, at a
    fraction of the cost."""
    import cv2

    small = picture
    while min(small.shape[:2]) >= 2 * side:
        height, width = small.shape[:2]
        even = small[: height - height % 2, : width - width % 2]
        halved = cv2.resize(even, (width // 2, height // 2), interpolation=cv2.INTER_AREA)
        small = np.asarray(halved, dtype=picture.dtype)
    return small
