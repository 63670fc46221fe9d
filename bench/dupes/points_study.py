"""Does the picture check set aside footage as graphics? On the tune halves only (the held-out half is
never looked at here), the ORB points one plane mapping explains (`media/image/local_features.py`)
between aligned whole frames, counted with the rule on where a mapping's points lie that the code has
now (`_spread`: the middle 80 % of them span `SPREAD` one way and half of it the other) and with the
one it had before (`SPREAD` both ways, which took a band or a column of detail for a ticker's line):

- copies: one frame pair of every single-source copy and its source (a second and a bit into the copy,
  at the source time the copy shows there), which should map;
- unrelated: every two sources of a half, and every two of its template distractors (clips in one
  programme frame, under one logo, in one phone frame, bumpers, black), at two moments each, which
  should not.

Whole frames are compared with `overlays_possible` (graphics at the same pixels are set aside), as the
check does where neither item has a footage region.

    .venv/bin/python bench/dupes/points_study.py [--half tune ...]

Layer: a study, not run by the suite; it reads the clips `run.py` generated.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sources import TUNE_HALVES, cache_of

from evidence.core.descriptor_match import DescriptorParams
from evidence.media.image import local_features as lf
from evidence.media.video.stills import pictures_at

ENOUGH = DescriptorParams().inliers
AFTER = 1.37  # seconds into a copy where its frame is taken
MOMENTS = (2.37, 5.37)  # where unrelated clips are compared


def both_ways(points: Any, size: Any) -> bool:
    """The rule before: the points span `SPREAD` of the picture both ways."""
    if len(points) < lf.MIN_MATCHES:
        return False
    low, high = np.percentile(points, [10, 90], axis=0)
    extent = (high - low) / np.array([size.width, size.height], dtype=np.float32)
    return bool(extent.min() >= lf.SPREAD)


class Pictures:
    def __init__(self) -> None:
        self.seen: dict[tuple[str, float], lf.Points | None] = {}

    def points(self, path: Path, t: float, *, mirrored: bool) -> lf.Points | None:
        key = (str(path), round(t, 3))
        if key not in self.seen:
            got = pictures_at(path, [round(t, 3)], None, None, lf.SHORT_SIDE)
            self.seen[key] = lf.points(got[0][1], mirrored=mirrored) if got else None
        return self.seen[key]


def counted(a: lf.Points | None, b: lf.Points | None) -> tuple[int, int]:
    """(points mapped with the rule before, with the rule now)."""
    if a is None or b is None:
        return 0, 0
    now: Callable[[Any, Any], bool] = lf._spread
    try:
        lf._spread = both_ways  # type: ignore[assignment]
        before = lf.mapped(a, b, overlays_possible=True)
    finally:
        lf._spread = now  # type: ignore[assignment]
    return before, lf.mapped(a, b, overlays_possible=True)


def study(half: str, pictures: Pictures) -> list[tuple[str, str, int, int]]:
    folder = cache_of(half)
    suite = json.loads((folder / "suite.json").read_text())["halves"][half]
    rows = []
    for copy in suite["copies"]:
        if len(copy["spans"]) != 1:
            continue
        span = copy["spans"][0]
        t = span["query_start"] + AFTER
        if t > span["query_end"] - 0.2:
            continue
        shown = span["source_start"] + span["speed"] * (t - span["query_start"])
        a = pictures.points(folder / copy["file"], t, mirrored=True)
        b = pictures.points(folder / suite["sources"][span["source"]], shown, mirrored=False)
        rows.append(("copy", f"{half}/{copy['clip']}", *counted(a, b)))
    for kind, clips in (("source", suite["sources"]), ("distractor", suite["distractors"])):
        for x, y in itertools.combinations(sorted(clips), 2):
            for t in MOMENTS:
                a = pictures.points(folder / clips[x], t, mirrored=True)
                b = pictures.points(folder / clips[y], t, mirrored=False)
                rows.append((f"unrelated {kind}", f"{half}/{x}~{y}@{t}", *counted(a, b)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--half", action="append", choices=TUNE_HALVES, help="a tune half (default: every one)"
    )
    args = parser.parse_args()
    pictures, rows = Pictures(), []
    for half in args.half or list(TUNE_HALVES):
        rows += study(half, pictures)
    print(f"{'pairs':20}{'n':>6}{'map before':>12}{'map now':>9}{'most points before / now':>27}")
    for kind in ("copy", "unrelated source", "unrelated distractor"):
        of = [r for r in rows if r[0] == kind]
        before, now = sum(r[2] >= ENOUGH for r in of), sum(r[3] >= ENOUGH for r in of)
        most = f"{max((r[2] for r in of), default=0)} / {max((r[3] for r in of), default=0)}"
        print(f"{kind:20}{len(of):>6}{before:>12}{now:>9}{most:>27}")
    for kind, name, before, now in rows:
        if (before >= ENOUGH) != (now >= ENOUGH):
            print(f"  {kind:10} {name:40} {before:>4} -> {now}")


if __name__ == "__main__":
    main()
