"""A rectangle on a picture: a tag's box (annotation, media fragments) and the content box inside a
black or white border (image and video analysis) are the same value.

Stdlib and numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy.typing as npt

PICTURE_SHAPES = (0.4, 2.5)
"""Width / height of footage as it is shown, from a little thinner than upright 9:16 (0.56) to a little
wider than 2.39:1 cinema. A window, a framed rectangle or a moving region shaped otherwise is a strip (a
slide's title bar, a ticker, a band of walkers), not a picture."""


Corners = tuple[tuple[float, float], tuple[float, float], tuple[float, float], tuple[float, float]]
"""A quadrilateral on a picture (a screen filmed at an angle): its corners (x, y) in pixels, top-left,
top-right, bottom-right, bottom-left."""


@dataclass(frozen=True, slots=True)
class Box:
    """Left column `x`, top row `y`, width `w`, height `h`: pixels of the displayed (upright) frame,
    unless `unit` is "percent" (a media fragment may give one; the geometry below is for pixels)."""

    x: int
    y: int
    w: int
    h: int
    unit: str = "pixel"

    @property
    def right(self) -> int:
        """One past the last column."""
        return self.x + self.w

    @property
    def bottom(self) -> int:
        """One past the last row."""
        return self.y + self.h

    @property
    def area(self) -> int:
        return self.w * self.h

    def touching(self, width: int, height: int) -> tuple[bool, bool, bool, bool]:
        """Which edges of a `width` x `height` picture the box reaches (left, top, right, bottom), give
        or take 2 % of the picture's width or height (at least 2 px)."""
        slack_x, slack_y = max(2, width // 50), max(2, height // 50)
        return (
            self.x <= slack_x,
            self.y <= slack_y,
            self.right >= width - slack_x,
            self.bottom >= height - slack_y,
        )

    def crop(self, array: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """The rows and columns of `array` (H x W or H x W x C) inside the box, as a view."""
        return array[self.y : self.bottom, self.x : self.right]

    def scaled(self, fx: float, fy: float | None = None) -> Box:
        """The box on a picture scaled by `fx` across and `fy` down (`fx` both ways when omitted)."""
        fy = fx if fy is None else fy
        return Box(
            round(self.x * fx), round(self.y * fy), max(1, round(self.w * fx)), max(1, round(self.h * fy))
        )

    def to_json(self) -> dict[str, int]:
        """`{"x", "y", "w", "h"}`, as stored in an item's summary and shown in JSON output."""
        return {"x": self.x, "y": self.y, "w": self.w, "h": self.h}

    @classmethod
    def from_json(cls, document: dict[str, int]) -> Box:
        """The pixel box of a `to_json` document."""
        return cls(document["x"], document["y"], document["w"], document["h"])
