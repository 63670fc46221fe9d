"""Would the described picture be closer to its source if it were prepared otherwise? Two questions,
on the copies of the tune halves only (the held-out half is never looked at here):

- `screens`: for each copy filmed off a screen, the descriptor similarity to its source (the mean over
  frames at the same times; a filmed copy keeps the source's timing) of the whole frame, of the box
  the describer took before (`media/video/screen_outline.py`: the upright box through the middle of
  the screen's slanted sides), and of the same outline warped flat (a perspective transform of the
  quadrilateral to a rectangle, from the full-size frame), as the describer now does.
- `levels`: per content family, for the copies whose whole frame is described, the mean similarity of
  a copy to its source and the best similarity to any other source of the half, with each picture as
  decoded and with its levels stretched (1st-99th percentile of luma to 0-255, the same map on each
  channel): whether dark footage (night) would stand further from unrelated footage.

    .venv/bin/python bench/dupes/picture_study.py screens [--half tune ...]
    .venv/bin/python bench/dupes/picture_study.py levels [--half tune ...]

Layer: a study, not run by the suite; it reads the clips `run.py` generated.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sources import TUNE_HALVES, cache_of

from evidence.media import sscd
from evidence.media.video import screen_outline as outline
from evidence.media.video.inset import EdgeMean

U8 = np.ndarray[Any, np.dtype[np.uint8]]
LEVELS_EDITS = ("crop", "zoom", "logo_large", "colour", "lowres", "rotate", "mirror_crop_logo")


def pictures(path: Path, count: int, every: int = 8) -> list[U8]:
    """Every `every`-th frame from the start, `count` of them, as RGB."""
    import av

    out: list[U8] = []
    with av.open(str(path)) as container:
        for n, frame in enumerate(container.decode(container.streams.video[0])):
            if n % every == 0:
                out.append(frame.to_ndarray(format="rgb24"))
            if len(out) >= count:
                break
    return out


def small(rgb: U8) -> U8:
    import cv2

    w, h = sscd.input_size(rgb.shape[1], rgb.shape[0])
    return np.asarray(cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA), dtype=np.uint8)


def similarity(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> float:
    return float(np.mean(np.sum(a * b, axis=1)))


def screens(halves: list[str]) -> None:
    import cv2

    rows = []
    for half in halves:
        folder = cache_of(half) / half
        for copy in sorted((folder / "copies").glob("*__screen_film.mp4")):
            source = folder / "sources" / copy.name.replace("__screen_film", "")
            full, original = pictures(copy, 24), pictures(source, 24)
            n = min(len(full), len(original))
            shown, reference = [small(p) for p in full[:n]], sscd.describe([small(p) for p in original[:n]])
            mean = EdgeMean()
            for p in shown:
                mean.add(cv2.cvtColor(p, cv2.COLOR_RGB2GRAY))
            whole = similarity(sscd.describe(shown), reference)
            averaged = mean.mean()
            found = None if averaged is None else outline.screen_corners(averaged)
            if found is None:
                print(f"{half:6} {copy.name:32} whole {whole:.3f}  no outline")
                rows.append((whole, None, None))
                continue
            box, quad = found[0], np.array(found[1])
            boxed = similarity(sscd.describe([np.ascontiguousarray(box.crop(p)) for p in shown]), reference)
            k = full[0].shape[1] / shown[0].shape[1]
            size = round(box.w * k), round(box.h * k)
            flat = np.float32([[0, 0], [size[0], 0], [size[0], size[1]], [0, size[1]]])
            warp = cv2.getPerspectiveTransform((quad * k).astype(np.float32), flat)
            warped = [cv2.warpPerspective(p, warp, size, flags=cv2.INTER_AREA) for p in full[:n]]
            rectified = similarity(sscd.describe(warped), reference)
            print(f"{half:6} {copy.name:32} whole {whole:.3f} box {boxed:.3f} flat {rectified:.3f}")
            rows.append((whole, boxed, rectified))
    placed = [r for r in rows if r[1] is not None]
    print(f"outline found in {len(placed)} of {len(rows)} filmed copies")
    if placed:
        means = [statistics.mean(r[i] for r in placed) for i in range(3)]
        print(f"with an outline, mean: whole {means[0]:.3f} box {means[1]:.3f} flat {means[2]:.3f}")
        gained = sum(1 for r in placed if r[2] > r[1])
        print(f"warped flat closer than the box in {gained} of {len(placed)}")
    if len(placed) < len(rows):
        print(f"without one, mean whole {statistics.mean(r[0] for r in rows if r[1] is None):.3f}")


def stretched(rgb: U8) -> U8:
    import cv2

    low, high = np.percentile(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), (1, 99))
    if high - low < 8:
        return rgb
    return np.clip((rgb.astype(np.float32) - low) * (255.0 / (high - low)), 0, 255).astype(np.uint8)


def levels(halves: list[str]) -> None:
    by_family: dict[str, list[tuple[float, float, float, float]]] = {}
    for half in halves:
        folder = cache_of(half) / half
        described = {}
        for source in sorted((folder / "sources").glob("*.mp4")):
            shown = [small(p) for p in pictures(source, 12)]
            described[source.stem] = (sscd.describe(shown), sscd.describe([stretched(p) for p in shown]))
        for name, (plain, level) in described.items():
            for edit in LEVELS_EDITS:
                copy = folder / "copies" / f"{name}__{edit}.mp4"
                if not copy.exists():
                    continue
                shown = [small(p) for p in pictures(copy, 12)]
                a, b = sscd.describe(shown), sscd.describe([stretched(p) for p in shown])
                same = (float((a @ plain.T).max(1).mean()), float((b @ level.T).max(1).mean()))
                others = [
                    (float((a @ o[0].T).max()), float((b @ o[1].T).max()))
                    for k, o in described.items()
                    if k != name
                ]
                family = name.rstrip("0123456789")
                by_family.setdefault(family, []).append(
                    (*same, max(o[0] for o in others), max(o[1] for o in others))
                )
    print(f"{'content':10}{'copies':>7}  {'to source':>15}  {'best other':>15}  {'margin < 0.1':>13}")
    for family, rows in sorted(by_family.items()):
        mean = [statistics.mean(r[i] for r in rows) for i in range(4)]
        close = (sum(r[0] - r[2] < 0.1 for r in rows), sum(r[1] - r[3] < 0.1 for r in rows))
        print(
            f"{family:10}{len(rows):>7}  {mean[0]:.3f} -> {mean[1]:.3f}  {mean[2]:.3f} -> {mean[3]:.3f}"
            f"  {close[0]:>5} -> {close[1]}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("study", choices=("screens", "levels"))
    parser.add_argument(
        "--half", action="append", choices=TUNE_HALVES, help="a tune half (default: every one)"
    )
    args = parser.parse_args()
    halves = args.half or list(TUNE_HALVES)
    screens(halves) if args.study == "screens" else levels(halves)


if __name__ == "__main__":
    main()
