"""Where is a still picture-in-picture's window? What the window finder of `media/video/inset.py` (the
largest rectangle whose four straight sides stay sharp on the mean picture) finds in each file of one
half of the suite, as the describer sees them: pictures at the descriptor's input size, two a second.
Prints, per edit family, how many files get a rectangle, and each rectangle with the moving region
(`media/video/moving_region.py`) of the same file (a source or a copy that fills its picture should get
none).

    .venv/bin/python bench/dupes/inset_study.py [--half tune]
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from evidence.core.box import Box
from evidence.media import sscd
from evidence.media.video.describe import DESCRIBE_INTERVAL
from evidence.media.video.inset import EdgeMean
from evidence.media.video.moving_region import MotionAccumulator

HERE = Path(__file__).resolve().parent
SUITE = HERE.parent / ".cache" / "dupes" / "v3"
EVERY = float(DESCRIBE_INTERVAL)  # seconds between described pictures


def accumulate(path: Path) -> tuple[EdgeMean, MotionAccumulator | None]:
    """The mean of the pictures the describer sees (short side at the descriptor's input size, two a
    second) and where they move."""
    import av
    import cv2

    edges, motion, due = EdgeMean(), None, 0.0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            t = float(frame.pts * stream.time_base) if frame.pts is not None else due
            if t < due:
                continue
            due = (t // EVERY + 1) * EVERY
            scale = min(1.0, sscd.SHORT_SIDE / min(frame.width, frame.height))
            size = round(frame.width * scale), round(frame.height * scale)
            rgb = frame.to_ndarray(format="rgb24", width=size[0], height=size[1], interpolation="AREA")
            motion = motion or MotionAccumulator(*size)
            motion.add(rgb)
            edges.add(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
    return edges, motion


def finders(path: Path) -> tuple[Box | None, Box | None]:
    """The window found by its sides and the moving region, in described-picture pixels."""
    edges, motion = accumulate(path)
    return edges.rectangle(), None if motion is None else motion.region()


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
        framed, moving = finders(path)
        seen[family(path.name)] += 1
        if framed is not None:
            found[family(path.name)] += 1
            rectangles.append((path.name, framed, moving))
    for name in sorted(seen):
        print(f"{name:<20}{found[name]:>3} / {seen[name]}")
    for name, framed, moving in rectangles:
        print(f"  {name}: window {framed.x},{framed.y} {framed.w}x{framed.h}; moving region {moving}")


if __name__ == "__main__":
    main()
