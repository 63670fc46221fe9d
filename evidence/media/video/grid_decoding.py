"""Decoding only part of a video's frames while keeping what a full decode keeps.

The analysis keeps frames on grids of times (a sampled frame a second, a described frame every half
second), each the first frame at or after its grid point. `GridDecoding`, set before each packet is
decoded (`decode.iter_frames(before=...)`), lets the decoder skip the frames no other frame refers to
(`REFERENCE_ONLY`) everywhere but near those points, so the kept frames are those a full decode keeps;
`FrameNumbers` numbers the decoded frames as a full decode numbers them.

Layer 1: the standard library only (PyAV objects are duck-typed).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from fractions import Fraction
from typing import Any, Final

__all__ = ["REFERENCE_ONLY", "FrameNumbers", "GridDecoding"]

REFERENCE_ONLY: Final = "NONREF"
"""The decoder's `skip_frame` between the analysis' grid points (`GridDecoding`): frames that no
other frame is decoded from (most B-frames of H.264 and HEVC) are not decoded there."""


class GridDecoding:
    """Per packet, whether the decoder may skip a frame no other frame refers to: not near a point of
    the grids the analysis keeps frames on (`grids`, seconds from the stream's start: the sampled
    frames' second, the descriptors' half second), where the first frame at or after the point is the
    one kept, so the kept frames are those a full decode keeps. Elsewhere the analysis only looks at
    what moves (cut detection, dense query frames), which the frames others refer to show (about half
    of a typical H.264 file's frames; 57-60 % are decoded in all). Set before each packet is decoded
    (`iter_frames(before=...)`); FFmpeg's frame threads take the setting with the packet."""

    def __init__(self, stream: Any, grids: Sequence[Fraction]) -> None:
        self._context = stream.codec_context
        self._time_base = Fraction(stream.time_base) if stream.time_base else None
        self._start = stream.start_time or 0
        rate = stream.average_rate or stream.guessed_rate
        self._frame = 1 / Fraction(rate) if rate else Fraction(1, 30)
        self._grids = [g for g in grids if g > 0]
        self._setting = ""

    def __call__(self, packet: Any) -> None:
        setting = "DEFAULT" if self._near_grid(packet) else REFERENCE_ONLY
        if setting != self._setting:
            self._context.skip_frame = self._setting = setting

    def _near_grid(self, packet: Any) -> bool:
        """Within two frames after a grid point (the first frame at or after it is within one where
        the rate holds; two leave room for a variable rate), or with no time to judge by."""
        if packet.pts is None or self._time_base is None:
            return True
        t = (packet.pts - self._start) * self._time_base
        frame = packet.duration * self._time_base if packet.duration else self._frame
        return t < 0 or any(t % g < 2 * frame for g in self._grids)


class FrameNumbers:
    """The numbers of decoded frames when the decoder skips some: a frame's number is how many of the
    stream's packets are presented before it, the number it has when every frame is decoded (the
    decoder hands a frame out only after the packets presented before it were read). Strictly
    increasing whatever the timestamps say (a damaged file may repeat one); a frame without a
    timestamp takes `fallback`. Holds only the packets not yet presented (frames come in presentation
    order): memory stays flat however long the stream."""

    def __init__(self) -> None:
        self._pts: list[int] = []  # sorted: the packets presented after the last numbered frame
        self._presented = 0  # packets presented before it
        self._last = -1

    def saw(self, packet: Any) -> None:
        if packet.pts is not None:
            bisect.insort(self._pts, packet.pts)

    def number(self, frame: Any, fallback: int) -> int:
        if frame.pts is None:
            found = fallback
        else:
            before = bisect.bisect_left(self._pts, frame.pts)
            del self._pts[:before]
            self._presented += before
            found = self._presented
        self._last = max(found, self._last + 1)
        return self._last
