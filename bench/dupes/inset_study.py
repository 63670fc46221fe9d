"""Where is a still picture-in-picture's window? A study for the footage region of footage that hardly
moves (slides, screens, night views), which the moving-region finder (`media/video/moving_region.py`)
cannot see: the largest rectangle whose four straight sides hold strong edges (`STRONG` grey levels a
pixel) along `SUPPORT` of their length, on the mean of `FRAMES` frames. Prints, per edit family of one
half of the suite, how many files get a rectangle, and each rectangle found (a source or a copy that
fills its picture should get none).

    .venv/bin/python bench/dupes/inset_study.py [--half tune]
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
SUITE = HERE.parent / ".cache" / "dupes" / "v3"
FRAMES = 10
STRONG = 30.0
SUPPORT = 0.85
MIN_SIDE = 0.15  # of the picture's width or height
AREA = (0.08, 0.85)
KEEP = 48  # candidate rows and columns (the longest edges)


def mean_frame(path: Path) -> Any:
    import cv2

    capture = cv2.VideoCapture(str(path))
    total = capture.get(cv2.CAP_PROP_FRAME_COUNT)
    frames = []
    for k in range(FRAMES):
        capture.set(cv2.CAP_PROP_POS_FRAMES, int(k * total / FRAMES))
        ok, frame = capture.read()
        if ok:
            frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
    return np.stack(frames).astype(np.float32).mean(0) if frames else None


def inset(mean: Any) -> tuple[tuple[int, int, int, int], float] | None:
    """(x, y, w, h) and its share of the picture, or None."""
    import cv2

    h, w = mean.shape
    vertical = np.abs(cv2.Sobel(mean, cv2.CV_32F, 1, 0, ksize=3)) / 4 >= STRONG
    horizontal = np.abs(cv2.Sobel(mean, cv2.CV_32F, 0, 1, ksize=3)) / 4 >= STRONG
    vertical[:, 1:] |= vertical[:, :-1]  # a side may wobble by a pixel
    horizontal[1:, :] |= horizontal[:-1, :]
    down = np.vstack([np.zeros((1, w), np.int32), vertical.astype(np.int32).cumsum(0)])
    across = np.hstack([np.zeros((h, 1), np.int32), horizontal.astype(np.int32).cumsum(1)])
    xs = np.flatnonzero(vertical[:, 1 : w - 1].sum(0) >= MIN_SIDE * h) + 1
    ys = np.flatnonzero(horizontal[1 : h - 1, :].sum(1) >= MIN_SIDE * w) + 1
    xs = xs[np.argsort(-vertical[:, xs].sum(0))[:KEEP]]
    ys = ys[np.argsort(-horizontal[ys, :].sum(1))[:KEEP]]
    if len(xs) < 2 or len(ys) < 2:
        return None
    height = (ys[None, :] - ys[:, None]).astype(np.float32)  # (y1, y2)
    width = (xs[None, :] - xs[:, None]).astype(np.float32)  # (x1, x2)
    sides = (down[ys][None, :, :] - down[ys][:, None, :])[:, :, xs] >= SUPPORT * height[:, :, None]
    rows = across[ys][:, xs]
    edges = (rows[:, None, :] - rows[:, :, None]) >= SUPPORT * width[None, :, :]  # (y, x1, x2)
    closed = (
        sides[:, :, :, None] & sides[:, :, None, :] & edges[:, None, :, :] & edges[None, :, :, :]
    )  # (y1, y2, x1, x2)
    share = height[:, :, None, None] * width[None, None, :, :] / (w * h)
    big = (height[:, :, None, None] >= MIN_SIDE * h) & (width[None, None, :, :] >= MIN_SIDE * w)
    valid = closed & big & (share >= AREA[0]) & (share <= AREA[1])
    if not valid.any():
        return None
    i, j, k, m = np.unravel_index(int(np.argmax(np.where(valid, share, 0))), share.shape)
    box = (int(xs[k]), int(ys[i]), int(xs[m] - xs[k]), int(ys[j] - ys[i]))
    return box, round(float(share[i, j, k, m]), 3)


def family(name: str) -> str:
    stem = name.rsplit(".", 1)[0]
    if "__" in stem:
        return stem.split("__")[1]
    return "-".join(stem.split("-")[:2]) if stem.startswith(("comp-", "dis-")) else "source"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--half", default="tune")
    half = parser.parse_args().half
    files = sorted(p for p in (SUITE / half).glob("*/*.*") if p.suffix in (".mp4", ".webm"))
    if not files:
        raise SystemExit(f"no suite files in {SUITE / half}: run bench/dupes/run.py first")
    seen: Counter[str] = Counter()
    found: Counter[str] = Counter()
    rectangles = []
    for path in files:
        mean = mean_frame(path)
        result = None if mean is None else inset(mean)
        seen[family(path.name)] += 1
        if result is not None:
            found[family(path.name)] += 1
            rectangles.append((path.name, result))
    for name in sorted(seen):
        print(f"{name:<20}{found[name]:>3} / {seen[name]}")
    for name, (box, share) in rectangles:
        print(f"  {name}: x {box[0]} y {box[1]} w {box[2]} h {box[3]} ({share:.0%} of the picture)")


if __name__ == "__main__":
    main()
