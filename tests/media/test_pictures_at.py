"""The pictures matching compares point by point: the frame shown at each time asked, without the
video's border, cut to its footage region, reduced to the comparison size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from footage import write_clip

from evidence.core.box import Box
from evidence.media.video.stills import pictures_at

FPS = 10


def _frames() -> list[np.ndarray]:
    """4 s of 640x480: black bars 40 px top and bottom; inside them a grey field whose level says the
    second (40, 80, 120, 160), with a white square at (100, 100) of the picture inside the bars."""
    out = []
    for i in range(4 * FPS):
        frame = np.zeros((480, 640, 3), dtype=np.uint8)
        frame[40:440] = 40 * (1 + i // FPS)
        frame[40 + 100 : 40 + 200, 100:200] = 255
        out.append(frame)
    return out


def test_each_time_gets_its_frame_cut_as_matching_describes_it(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "bars.mp4", _frames(), fps=FPS)
    border = Box(0, 40, 640, 400)
    region = Box(50, 50, 300, 200)  # inside the border: the square is at (50, 50) of it, 100 px
    found = pictures_at(clip, [2.5, 0.0, 1.2], border, region, short_side=100)
    assert [t for t, _ in found] == [2.5, 0.0, 1.2]  # in the order asked
    for t, picture in found:
        assert picture.shape == (100, 150) and picture.dtype == np.uint8  # 300x200 reduced to 100 short
        luma = 16 + 219 * 40 * (1 + int(t)) / 255  # the grey of that second, in video range
        assert abs(float(np.median(picture[80:, 80:])) - luma) <= 6
        assert np.median(picture[30:70, 30:70]) >= 220  # the square, at (25, 25) to (75, 75)
    whole = dict(pictures_at(clip, [3.9], None, None, short_side=1000))
    # never enlarged; without the border the picture's own bars are still cut, as the describer cuts them
    assert whole[3.9].shape == (400, 640)


def test_a_picture_between_bars_of_its_own_is_cut_to_them(tmp_path: Path) -> None:
    """A portrait piece between black pillars in a landscape compilation (the other pieces fill the
    frame, so the video has no border): the picture checked is the piece, as the describer sees it.
    The luma plane is in video range (black at 16), the describer's pictures in full range (black 0):
    the bars are found on the same scale."""
    frames = []
    for i in range(3 * FPS):
        frame = np.full((360, 640, 3), 90, dtype=np.uint8)  # a landscape piece: no bars
        if i >= FPS:
            frame[:] = 0
            frame[:, 219:421] = 60 + 60 * (i // FPS)  # 202 px wide between 219 px pillars
            frame[100:160, 250:390] = 255
        frames.append(frame)
    clip = write_clip(tmp_path / "pillars.mp4", frames, fps=FPS)
    found = dict(pictures_at(clip, [0.5, 1.5, 2.5], None, None, short_side=1000))
    assert found[0.5].shape == (360, 640)
    for t in (1.5, 2.5):
        assert abs(found[t].shape[1] - 202) <= 4 and found[t].shape[0] == 360, found[t].shape
        assert np.percentile(found[t], 5) >= 40  # no bar left on either side
    # a footage region given by the analysis is what is cut, bars or none
    region = Box(0, 0, 320, 180)
    [(_, cut)] = pictures_at(clip, [1.5], None, region, short_side=1000)
    assert cut.shape == (180, 320)


def test_far_apart_times_are_sought_and_times_past_the_end_get_the_last_frame(tmp_path: Path) -> None:
    frames = []
    for i in range(12 * FPS):  # 12 s, the grey level says the second
        frames.append(np.full((240, 320, 3), 18 * (1 + i // FPS), dtype=np.uint8))
    clip = write_clip(tmp_path / "long.mp4", frames, fps=FPS)
    asked = [9.2, 0.5, 30.0, 4.05, 11.95]
    found = pictures_at(clip, asked, None, None, short_side=240)
    assert [t for t, _ in found] == asked
    for t, picture in found:
        second = min(11, int(t))
        assert abs(float(np.median(picture)) - (16 + 219 * 18 * (1 + second) / 255)) <= 5, (t, picture.mean())
