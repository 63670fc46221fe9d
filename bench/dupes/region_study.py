"""Where does the describer see the footage? For each file of one half of the suite, the footage box the
describer would use (`media/video/describe.py` `footage_of`: the moving region where it meets the set
along an edge, or the window found by its sides), in described-picture pixels, on the
pictures the describer sees (short side at the descriptor's input size, two a second). Run it with two
checkouts (from the one that made `footage_of` on) and compare the lists to see what a rule changes
before running the whole benchmark:

    PYTHONPATH=. .venv/bin/python bench/dupes/region_study.py --half tune > after.txt
    PYTHONPATH=../before .venv/bin/python bench/dupes/region_study.py --half tune > before.txt
    diff before.txt after.txt
"""

from __future__ import annotations

import argparse
from pathlib import Path

from inset_study import accumulate, family
from sources import cache_of

from evidence.core.box import Box
from evidence.media.video.describe import footage_of


def footage(path: Path) -> Box | None:
    edges, motion = accumulate(path)
    return None if motion is None else footage_of(motion, edges)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--half", default="tune")
    half = parser.parse_args().half
    root = cache_of(half) / half
    files = sorted(p for p in root.glob("*/*.*") if p.suffix in (".mp4", ".webm"))
    if not files:
        raise SystemExit(f"no suite files in {root}: run bench/dupes/run.py first")
    for path in files:
        box = footage(path)
        where = "-" if box is None else f"{box.x},{box.y} {box.w}x{box.h}"
        print(f"{family(path.name):<18} {path.name:<34} {where}", flush=True)


if __name__ == "__main__":
    main()
