"""The describer hands its batches to a thread of its own (`media/video/describe.py`): what comes back
must be every frame once, in order, described exactly as the model describes the same pictures, with
a bounded number of batches waiting, and a failure of the model must reach the decode pass."""

from __future__ import annotations

from fractions import Fraction

import av
import cv2
import numpy as np
import pytest
from footage import generated_photo

from evidence.media import sscd
from evidence.media.video import describe
from evidence.media.video.describe import IN_FLIGHT, Describer, Geometry

W, H = 320, 180


def frames(count: int) -> list[av.VideoFrame]:
    photos = [cv2.resize(generated_photo(n), (W, H), interpolation=cv2.INTER_AREA) for n in range(7)]
    return [av.VideoFrame.from_ndarray(photos[n % 7], format="rgb24") for n in range(count)]


def test_every_frame_comes_back_once_in_order_as_the_model_describes_it() -> None:
    geometry = Geometry(W, H, None, 0)
    made = frames(3 * sscd.BATCH + 5)
    describer = Describer(geometry)
    out = []
    for i, frame in enumerate(made):
        out.extend(describer.add(i * 15, Fraction(i, 2), frame))
        assert len(describer.running) <= IN_FLIGHT  # the decode pass waits rather than piling up batches
    out.extend(describer.flush())
    assert [d.index for d in out] == [i * 15 for i in range(len(made))]
    assert [d.pts for d in out] == [Fraction(i, 2) for i in range(len(made))]
    expected = sscd.describe([geometry.picture(f) for f in made])
    assert [d.vector for d in out] == [sscd.pack(v) for v in expected]
    assert describer.flush() == []  # nothing twice


def test_a_failing_model_stops_the_pass_with_its_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(pictures: object) -> np.ndarray:
        raise sscd.DescriptorUnavailable("copy-detection model unavailable (test): reinstall evidence")

    monkeypatch.setattr(describe.sscd, "describe", broken)
    describer = Describer(Geometry(W, H, None, 0))
    with pytest.raises(sscd.DescriptorUnavailable, match="reinstall evidence"):
        for i, frame in enumerate(frames(2 * sscd.BATCH)):
            describer.add(i, Fraction(i), frame)
        describer.flush()
    assert describer.pool is None and not describer.running
