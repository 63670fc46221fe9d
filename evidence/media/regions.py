"""Hashes of parts of a picture, for copies that cover part of the frame with a logo or caption box."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from evidence.core.frames import REGION_NAMES
from evidence.media.pdq import pdq_from_luma


def region_hashes(picture: npt.NDArray[np.uint8]) -> tuple[tuple[str, bytes, int], ...]:
    """PDQ of the four halves of an upright picture: a copy with a large logo or caption box over part
    of the frame still matches on the halves the box leaves alone."""
    height, width = picture.shape[:2]
    halves = (
        picture[: height // 2],
        picture[height // 2 :],
        picture[:, : width // 2],
        picture[:, width // 2 :],
    )
    return tuple((name, *pdq_from_luma(half)) for name, half in zip(REGION_NAMES, halves, strict=True))
