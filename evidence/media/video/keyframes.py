"""Scene-cut detection on tiny frames, and keyframe thumbnails.

Every decoded frame is reduced to a signature: its luma area-averaged to 64 x 36 and, for planar YUV,
each chroma plane to 32 x 18 (so cuts between scenes of equal brightness but different colour count).
The change between two frames is the mean absolute difference of luma plus half that of each chroma
plane, on a 0..255 scale. Frame i is a cut when, with `LOOKBACK` frames before it and `LOOKAHEAD`
after it in view:

* its change from every frame in the lookback is at least the threshold (a hard change, not a
  return to something just seen: the end of a flash, a glitch or a dropped-in frame);
* it is at least `RATIO` times the typical change around it (the mean of the mean changes before
  and after it), so that fast pans, shake and motion, whose every frame changes a lot, do not cut,
  nor does the last frame of a whip pan, while a cut into or out of motion still does; where the
  decoder skipped frames (`grid_decoding.REFERENCE_ONLY`), changes are compared per frame of the stream
  (a change across two frames of motion counts half), so that a cut at a frame that follows the
  previous decoded one directly stands out from neighbours two frames apart;
* no frame after it returns to within half the threshold of the lookback (a flash, not a cut);
* at least `min_shot` has passed since the previous cut (or the first frame).

A fade or dissolve changes every frame a little and never crosses the threshold.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Final, TypeVar

import numpy as np
import numpy.typing as npt

from evidence.media.video.decode import CONVERTING

__all__ = [
    "DEFAULT_MIN_SHOT",
    "DEFAULT_SCENE_THRESHOLD",
    "CutDetector",
    "Decision",
    "change",
    "signature",
    "thumbnail_jpeg",
]

DEFAULT_SCENE_THRESHOLD: Final = 20.0
"""Minimum change (0..255 scale, see the module notes) for a hard cut."""
DEFAULT_MIN_SHOT: Final = Fraction(1, 2)
"""Minimum time between two cuts (and from the first frame to the first cut)."""
RATIO: Final = 3.0
LOOKBACK: Final = 4
LOOKAHEAD: Final = 2
THUMB_WIDTH: Final = 320
THUMB_QUALITY: Final = 80
_LUMA_SIZE: Final = (64, 36)
_CHROMA_SIZE: Final = (32, 18)
_CHROMA_WEIGHT: Final = 0.5

FloatArray = npt.NDArray[np.float32]
T = TypeVar("T")


def _shrink(plane: npt.NDArray[Any], size: tuple[int, int], shift: int) -> FloatArray:
    import cv2

    width, height = size
    step = max(1, min(plane.shape[1] // (4 * width), plane.shape[0] // (4 * height)))
    source = np.ascontiguousarray(plane[::step, ::step]) if step > 1 else plane
    small = cv2.resize(source, size, interpolation=cv2.INTER_AREA).astype(np.float32)
    return small / np.float32(1 << shift) if shift else small


def signature(
    luma: npt.NDArray[Any], shift: int = 0, chroma: tuple[npt.NDArray[Any], npt.NDArray[Any]] | None = None
) -> FloatArray:
    """A frame's tiny weighted signature: `change(a, b)` is the sum of absolute differences."""
    y = _shrink(luma, _LUMA_SIZE, shift).ravel()
    parts = [y * np.float32(1.0 / y.size)]
    if chroma is not None:
        for plane in chroma:
            c = _shrink(plane, _CHROMA_SIZE, shift).ravel()
            parts.append(c * np.float32(_CHROMA_WEIGHT / c.size))
    return np.concatenate(parts)


def change(a: FloatArray, b: FloatArray) -> float:
    """The content change between two signatures (0 = identical)."""
    if a.shape != b.shape:
        return 255.0
    return float(np.abs(a - b).sum())


@dataclass(frozen=True, slots=True)
class _Entry:
    index: int
    pts: Fraction
    signature: FloatArray
    score: float  # change from the previous frame
    first: bool  # the clip's first frame: `score` means nothing
    gap: int = 1  # frames of the stream since the previous decoded one (more where the decoder skips)

    @property
    def rate(self) -> float:
        """The change per frame of the stream: what motion around a cut is judged by."""
        return self.score / self.gap


@dataclass(frozen=True, slots=True)
class Decision[T]:
    """A frame once the detector has seen enough after it."""

    index: int
    pts: Fraction
    score: float
    cut: bool
    payload: T


class CutDetector[T]:
    """Streaming hard-cut detector; `push` returns the decision for the frame `LOOKAHEAD` frames back."""

    def __init__(
        self, threshold: float = DEFAULT_SCENE_THRESHOLD, min_shot: Fraction = DEFAULT_MIN_SHOT
    ) -> None:
        self.threshold, self.min_shot = threshold, min_shot
        self._history: deque[_Entry] = deque(maxlen=LOOKBACK)
        self._pending: deque[_Entry] = deque()
        self._payloads: deque[T] = deque()
        self._last_cut: Fraction | None = None
        self._previous: FloatArray | None = None
        self._previous_index = 0

    def push(self, index: int, pts: Fraction, sig: FloatArray, payload: T) -> Decision[T] | None:
        """Add the next frame in presentation order; maybe return a decided earlier frame."""
        first = self._previous is None
        score = 0.0 if self._previous is None else change(sig, self._previous)
        gap = 1 if first else max(1, index - self._previous_index)
        self._previous, self._previous_index = sig, index
        self._pending.append(_Entry(index, pts, sig, score, first, gap))
        self._payloads.append(payload)
        return self._decide() if len(self._pending) > LOOKAHEAD else None

    def finish(self) -> list[Decision[T]]:
        """Decide the frames still waiting for lookahead (at the end of the stream)."""
        decided = []
        while self._pending:
            decided.append(self._decide())
        return decided

    def _decide(self) -> Decision[T]:
        entry, payload = self._pending.popleft(), self._payloads.popleft()
        cut = self._is_cut(entry, list(self._history), list(self._pending))
        if self._last_cut is None or cut:
            self._last_cut = entry.pts
        self._history.append(entry)
        return Decision(entry.index, entry.pts, entry.score, cut, payload)

    def _is_cut(self, entry: _Entry, before: list[_Entry], after: list[_Entry]) -> bool:
        if entry.first or not before or entry.score < self.threshold:
            return False
        if self._last_cut is not None and entry.pts - self._last_cut < self.min_shot:
            return False
        if any(change(entry.signature, b.signature) < self.threshold for b in before[:-1]):
            return False  # back to something seen just before: the end of a flash or glitch
        sides = [[b.rate for b in before if not b.first], [a.rate for a in after]]
        means = [sum(side) / len(side) for side in sides if side]
        typical = sum(means) / len(means) if means else 0.0
        if entry.rate < RATIO * typical:
            return False  # everything around changes a lot too: motion, not a cut
        return not any(change(a.signature, b.signature) < self.threshold / 2 for a in after for b in before)


def thumbnail_jpeg(frame: Any, quarter_turns: int) -> bytes:
    """An upright JPEG of a decoded frame, at most `THUMB_WIDTH` wide, aspect kept."""
    import cv2

    turned = quarter_turns % 2 == 1
    width, height = (frame.height, frame.width) if turned else (frame.width, frame.height)
    scale = min(1.0, THUMB_WIDTH / width)
    out_w, out_h = max(1, round(width * scale)), max(1, round(height * scale))
    stored_w, stored_h = (out_h, out_w) if turned else (out_w, out_h)
    with CONVERTING:  # the describing thread may be making this frame's picture
        rgb = frame.reformat(stored_w, stored_h, "rgb24", interpolation="AREA").to_ndarray()
    upright = np.ascontiguousarray(np.rot90(rgb, quarter_turns)[:, :, ::-1])  # BGR for OpenCV
    ok, encoded = cv2.imencode(".jpg", upright, [cv2.IMWRITE_JPEG_QUALITY, THUMB_QUALITY])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return bytes(encoded.tobytes())
