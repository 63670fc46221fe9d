"""Hashes of parts of a picture, for copies that cover part of the frame with a logo or caption box."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from evidence.core.frames import CENTER, CENTER_MARGIN, REGION_NAMES
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
    return (*parts, (CENTER, *pdq_from_luma(centre)))
