"""Frame-level robustness of PDQ on the duplicate suite, and ideas for the hard edits (no CLI needed).

    python bench/dupes/study.py [--workers 2] [--all] [--region-quality 50]

The stored side is what the catalogue keeps: each source analysed at 1 fps (`analyse_video`, canonical
hashes, black border removed), flat frames left out. The query side is dense: every frame of every
copy and distractor. Copy frames are aligned to source time with the suite's ground truth.

1. Per transform, over the stored source frames the copy shows: the PDQ distance to the copy frame
   nearest in aligned time (min / median / p90); the share of stored frames with a copy frame within
   31 bits within +-1 copy frame of the aligned time, and anywhere in the copy; how many copies have
   at least 3 stored frames hit (what a matcher needs to line up an alignment).
2. False matches: the share of stored source frames that some unrelated frame comes within 31, 40 or
   50 bits of, for the distractors and for the copies of the other sources (hard negatives: footage
   of the same kind, edited the same ways), and the closest such pair.
3. Ideas, aligned within +-1 frame: (a) mirrored queries, also the PDQ of the left-right flipped frame
   (`pdq_dihedral_from_luma(y)[FLIP]`, the index checked at start-up against hashing `np.fliplr(y)`);
   (b) region hashes, PDQ of the top, bottom, left and right halves of the canonical frame, compared
   region to region (a stored frame matches when one region does); (c) the same with the four
   quadrants; (d) the centre: the stored side also keeps the PDQ of the central 90 % (5 % off each
   side), compared with the query's whole canonical frame (a copy cropped by about a tenth), within
   +-1 frame and within +-0.5 s (what an offset-tolerant matcher sees: hand-held shake can undo the
   off-centre part of a crop a few frames away). Regions under `--region-quality` PDQ quality, on
   either side, are not compared. `+mir`: with mirrored queries (the regions of the flipped frame).
4. False matches of every variant, on the same negatives.
5. How fast PDQ loses a cropped frame: stored source frames against themselves cropped by c % per side
   (scaled back), and the suite's crop10 edit against a centred 5 % crop (1 % off-centre).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent))
from transforms import RECIPES, Suite, Truth, build_suite

Words = npt.NDArray[np.uint64]
U8 = npt.NDArray[np.uint8]
HARD: Final = ("logo_small", "logo_large", "mirror", "crop10", "letterbox", "pillarbox")
REGIONS: Final = ("top", "bottom", "left", "right", "top-left", "top-right", "bottom-left", "bottom-right")
MIRRORED: Final = (0, 1, 3, 2, 5, 4, 7, 6)  # region r of the flipped frame is the flip of region MIRRORED[r]
REGION_SETS: Final = {"halves": range(4), "quadrants": range(4, 8)}
VARIANTS: Final = ("canonical", "+mirror", "halves", "halves+mir", "quadrants", "quadrants+mir", "+centre")
CENTRE_MARGIN: Final = 0.05
WIDE: Final = 0.5  # seconds: the wider alignment window
CROPS: Final = {  # (left, right, top, bottom) cut off, then scaled back
    "1 %": (0.01, 0.01, 0.01, 0.01),
    "2 %": (0.02, 0.02, 0.02, 0.02),
    "3 %": (0.03, 0.03, 0.03, 0.03),
    "5 %": (0.05, 0.05, 0.05, 0.05),
    "crop10": (0.06, 0.04, 0.04, 0.06),
}
FAR: Final = 257  # a distance that never matches


def flip_index() -> int:
    """Which `pdq_dihedral_from_luma` variant is the left-right flip (checked, not assumed)."""
    import cv2

    from evidence.media.pdq import pdq_dihedral_from_luma, pdq_from_luma

    rng = np.random.default_rng(1)
    y = cv2.resize(rng.random((9, 16)).astype(np.float32) * 255, (320, 180), interpolation=cv2.INTER_CUBIC)
    y = np.clip(y, 0, 255).astype(np.uint8)
    want = np.frombuffer(pdq_from_luma(np.ascontiguousarray(y[:, ::-1]))[0], np.uint8)
    gaps = [
        int(np.unpackbits(np.frombuffer(h, np.uint8) ^ want).sum()) for h, _q in pdq_dihedral_from_luma(y)
    ]
    best = int(np.argmin(gaps))
    if gaps[best] > 4 or sorted(gaps)[1] < 40:
        raise SystemExit(f"no dihedral PDQ variant is clearly the left-right flip: {gaps}")
    return best


@dataclass(frozen=True, slots=True)
class Hashes:
    """Per-frame hashes of one file (rows: the analysed frames, in order)."""

    name: str
    t: npt.NDArray[np.float64]
    informative: npt.NDArray[np.bool_]
    canon: Words  # (n, 4) analyse_video's canonical PDQ
    flip: Words  # (n, 4) PDQ of the left-right flipped canonical frame
    centre: Words  # (n, 4) PDQ of the central 90 % of the canonical frame
    regions: Words  # (n, 8 regions, 4)
    regions_mirror: Words  # (n, 8, 4): the regions of the flipped frame, same order
    region_ok: npt.NDArray[np.bool_]  # (n, 8) region quality high enough
    region_ok_mirror: npt.NDArray[np.bool_]
    mismatches: int  # frames where our canonical hash differs from analyse_video's
    crops: dict[str, list[int]] = field(default_factory=dict)  # stored side only: table 5


def _words(h: bytes) -> Words:
    return np.frombuffer(h, dtype=np.uint64).copy()


def _regions(c: U8) -> list[U8]:
    h, w = c.shape
    top, bottom, left, right = c[: h // 2], c[h // 2 :], c[:, : w // 2], c[:, w // 2 :]
    quads = [c[: h // 2, : w // 2], c[: h // 2, w // 2 :], c[h // 2 :, : w // 2], c[h // 2 :, w // 2 :]]
    return [np.ascontiguousarray(r) for r in (top, bottom, left, right, *quads)]


def _centre(c: U8) -> U8:
    h, w = c.shape
    dy, dx = round(h * CENTRE_MARGIN), round(w * CENTRE_MARGIN)
    return np.ascontiguousarray(c[dy : h - dy, dx : w - dx])


def _cropped(y: U8, cut: tuple[float, float, float, float]) -> U8:
    import cv2

    h, w = y.shape
    left, right, top, bottom = cut
    inner = y[round(h * top) : h - round(h * bottom), round(w * left) : w - round(w * right)]
    return cv2.resize(inner, (w, h), interpolation=cv2.INTER_LINEAR)


def _distance(a: bytes, b: bytes) -> int:
    return int(np.unpackbits(np.frombuffer(a, np.uint8) ^ np.frombuffer(b, np.uint8)).sum())


def _crop_sensitivity(c: U8, pdq: bytes, out: dict[str, list[int]]) -> None:
    from evidence.media.pdq import pdq_from_luma

    for name, cut in CROPS.items():
        reference = pdq if name != "crop10" else pdq_from_luma(_cropped(c, CROPS["5 %"]))[0]
        out.setdefault(name, []).append(_distance(reference, pdq_from_luma(_cropped(c, cut))[0]))


def hash_file(path: Path, interval: Fraction | None, flip: int, min_quality: int) -> Hashes:
    """`analyse_video` (canonical hashes), then one more decode for the flipped and region hashes."""
    from evidence.media.pdq import pdq_dihedral_from_luma, pdq_from_luma
    from evidence.media.video.analyse import analyse_video
    from evidence.media.video.decode import (
        iter_frames,
        luma_plane,
        open_video,
        single_threaded_blas,
        to_uint8,
    )

    analysis = analyse_video(path, sample_interval=interval)
    if analysis.rotation:
        raise SystemExit(f"{path.name}: rotated video, not supported by this study")
    rows = {f.index: k for k, f in enumerate(analysis.sampled)}
    n, nr = len(analysis.sampled), len(REGIONS)
    flips = np.zeros((n, 4), np.uint64)
    centres = np.zeros((n, 4), np.uint64)
    regions = np.zeros((n, nr, 4), np.uint64)
    mirrored = np.zeros((n, nr, 4), np.uint64)
    quality = np.zeros((n, nr), np.int16)
    crops: dict[str, list[int]] = {}
    mismatches = 0
    # OpenBLAS threads spinning beside FFmpeg's make PDQ's small products ~30x slower: one thread
    with single_threaded_blas(), open_video(path) as (container, stream):
        stream.codec_context.thread_type = "AUTO"
        for i, frame in enumerate(iter_frames(container, stream, [])):
            k = rows.get(i)
            if k is None:
                continue
            y = to_uint8(*luma_plane(frame))
            c = analysis.border.crop(y) if analysis.border is not None else y
            whole = pdq_dihedral_from_luma(c)
            mismatches += whole[0][0] != analysis.sampled[k].pdq
            flips[k] = _words(whole[flip][0])
            centres[k] = _words(pdq_from_luma(_centre(c))[0])
            variants = [pdq_dihedral_from_luma(r) for r in _regions(c)]
            for r in range(nr):
                regions[k, r] = _words(variants[r][0][0])
                mirrored[k, r] = _words(variants[MIRRORED[r]][flip][0])
                quality[k, r] = variants[r][0][1]
            if interval is not None and not analysis.sampled[k].flat:
                _crop_sensitivity(c, whole[0][0], crops)
    ok = quality >= min_quality
    return Hashes(
        path.stem,
        np.array([float(f.pts) for f in analysis.sampled]),
        np.array([not f.flat for f in analysis.sampled], dtype=bool),
        np.stack([_words(f.pdq) for f in analysis.sampled]) if n else np.zeros((0, 4), np.uint64),
        flips,
        centres,
        regions,
        mirrored,
        ok,
        ok[:, MIRRORED],
        mismatches,
        crops,
    )


def distances(a: Words, b: Words) -> npt.NDArray[np.int16]:
    """(len(a), len(b)) Hamming distances between 256-bit hashes held as 4 uint64 words."""
    if not len(a) or not len(b):
        return np.full((len(a), len(b)), FAR, np.int16)
    return np.bitwise_count(a[:, None, :] ^ b[None, :, :]).sum(axis=-1, dtype=np.int16)


def region_distances(a: Hashes, b: Hashes, which: range, *, mirror: bool) -> npt.NDArray[np.int16]:
    """The best region-to-region distance per frame pair (regions of low quality never match)."""
    best = np.full((len(a.t), len(b.t)), FAR, np.int16)
    theirs, their_ok = (b.regions_mirror, b.region_ok_mirror) if mirror else (b.regions, b.region_ok)
    for r in which:
        d = distances(a.regions[:, r], theirs[:, r])
        d[~a.region_ok[:, r]] = FAR
        d[:, ~their_ok[:, r]] = FAR
        np.minimum(best, d, out=best)
    return best


def variant_distances(a: Hashes, b: Hashes) -> dict[str, npt.NDArray[np.int16]]:
    """Stored frames `a` against query frames `b`, per variant (mirror variants include the plain one)."""
    canon = distances(a.canon, b.canon)
    out = {"canonical": canon, "+mirror": np.minimum(canon, distances(a.canon, b.flip))}
    for name, which in REGION_SETS.items():
        plain = region_distances(a, b, which, mirror=False)
        out[name] = plain
        out[f"{name}+mir"] = np.minimum(plain, region_distances(a, b, which, mirror=True))
    out["+centre"] = np.minimum(canon, distances(a.centre, b.canon))
    for d in out.values():
        d[~a.informative] = FAR
        d[:, ~b.informative] = FAR
    return out


@dataclass(slots=True)
class Aligned:
    """Per covered stored frame: the distance to the copy frame nearest in time, the best within +-1
    frame (per variant) and the best anywhere in the copy."""

    near: list[int] = field(default_factory=list)
    pm1: dict[str, list[int]] = field(default_factory=dict)
    wide: dict[str, list[int]] = field(default_factory=dict)  # best within +-WIDE seconds
    anywhere: list[int] = field(default_factory=list)
    copies_hit: int = 0
    copies: int = 0


def align(stored: Hashes, copy: Hashes, truth: Truth, acc: Aligned) -> None:
    source = stored.name
    mapped = np.full(len(copy.t), np.nan)
    for j, t in enumerate(copy.t):
        found = truth.source_time(float(t))
        if found is not None and found[0] == source:
            mapped[j] = found[1]
    step = float(np.median(np.diff(copy.t))) if len(copy.t) > 1 else 1 / 30
    spans = [s for s in truth.spans if s.source == source]
    d = variant_distances(stored, copy)
    hits = 0
    for i, ts in enumerate(stored.t):
        if not stored.informative[i] or not any(s.source_start <= ts < s.source_end for s in spans):
            continue
        gap = np.abs(mapped - ts)
        if np.all(np.isnan(gap)):
            continue
        acc.near.append(int(d["canonical"][i, int(np.nanargmin(gap))]))
        window = np.nan_to_num(gap, nan=1e9) <= step + 1e-3
        wide = np.nan_to_num(gap, nan=1e9) <= WIDE + 1e-3
        for name, dv in d.items():
            acc.pm1.setdefault(name, []).append(int(dv[i, window].min()) if window.any() else FAR)
            acc.wide.setdefault(name, []).append(int(dv[i, wide].min()) if wide.any() else FAR)
        acc.anywhere.append(int(d["canonical"][i].min()))
        hits += acc.pm1["canonical"][-1] <= 31
    acc.copies += 1
    acc.copies_hit += hits >= 3


def share(values: Sequence[int], threshold: int) -> float:
    return float(np.mean(np.asarray(values) <= threshold)) if len(values) else float("nan")


@dataclass(slots=True)
class Negatives:
    """Per variant, per stored frame: the closest unrelated frame; and the closest canonical pair."""

    best: dict[str, list[int]] = field(default_factory=dict)
    closest: tuple[int, str] = (FAR, "")


def negatives(stored: Hashes, others: Sequence[Hashes], acc: Negatives) -> None:
    best = {v: np.full(len(stored.t), FAR, np.int16) for v in VARIANTS}
    for other in others:
        for v, d in variant_distances(stored, other).items():
            if not d.size:
                continue
            np.minimum(best[v], d.min(axis=1), out=best[v])
            if v == "canonical" and int(d.min()) < acc.closest[0]:
                i, j = np.unravel_index(int(d.argmin()), d.shape)
                acc.closest = (
                    int(d.min()),
                    f"{stored.name} {stored.t[i]:.1f}s ~ {other.name} {other.t[j]:.2f}s",
                )
    for v in VARIANTS:
        acc.best.setdefault(v, []).extend(int(x) for x in best[v][stored.informative])


def _hash_job(args: tuple[Path, Fraction | None, int, int]) -> Hashes:
    return hash_file(*args)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--all", action="store_true", help="table 3 for every transform, not only the hard ones"
    )
    parser.add_argument("--region-quality", type=int, default=50, help="regions under this PDQ quality skip")
    args = parser.parse_args()
    started = time.perf_counter()
    suite: Suite = build_suite(log=lambda m: print(m, file=sys.stderr))
    flip = flip_index()
    from evidence.media.pdq import DIHEDRAL_NAMES

    print(f"left-right flip = pdq_dihedral_from_luma(y)[{flip}] ({DIHEDRAL_NAMES[flip]})")
    q = args.region_quality
    jobs: list[tuple[Path, Fraction | None, int, int]] = [
        (p, Fraction(1), flip, q) for p in suite.sources.values()
    ]
    jobs += [(p, None, flip, q) for p in suite.distractors.values()]
    jobs += [(suite.path(c), None, flip, q) for c in suite.copies]
    with ProcessPoolExecutor(args.workers) as pool:
        hashed = list(pool.map(_hash_job, jobs))
    print(f"hashed {len(hashed)} files in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    stored = {h.name: h for h in hashed[: len(suite.sources)]}
    distractors = hashed[len(suite.sources) : len(suite.sources) + len(suite.distractors)]
    copies = dict(zip((c.clip for c in suite.copies), hashed[-len(suite.copies) :], strict=True))
    mismatched = sum(h.mismatches for h in hashed)
    if mismatched:
        print(f"warning: {mismatched} frames hashed differently from analyse_video", file=sys.stderr)

    by_transform: dict[str, Aligned] = {}
    for truth in suite.copies:
        acc = by_transform.setdefault(truth.transform, Aligned())
        for source in truth.sources:
            align(stored[source], copies[truth.clip], truth, acc)
    neg = {"distractors": Negatives(), "other sources' copies": Negatives()}
    for name, s in stored.items():
        negatives(s, distractors, neg["distractors"])
        negatives(
            s, [copies[c.clip] for c in suite.copies if name not in c.sources], neg["other sources' copies"]
        )
    crops: dict[str, list[int]] = {}
    for s in stored.values():
        for name, values in s.crops.items():
            crops.setdefault(name, []).extend(values)
    report(by_transform, neg, crops, [*sorted(RECIPES), "compilation"] if args.all else list(HARD), q)
    print(f"\n{time.perf_counter() - started:.0f} s in all", file=sys.stderr)


def _row(label: str, values: Sequence[float], width: int = 8, digits: int = 2) -> str:
    return f"{label:<20}" + "".join(f"{v:>{width}.{digits}f}" for v in values)


def report(
    by: dict[str, Aligned],
    neg: dict[str, Negatives],
    crops: dict[str, list[int]],
    ideas: Sequence[str],
    min_quality: int,
) -> None:
    print("\n1. canonical PDQ, stored 1 fps source frame vs the dense copy (n = stored frames shown)")
    heads = f"{'n':>5}{'min':>5}{'med':>5}{'p90':>5}{'<=31 +-1f':>11}{'<=31 any':>10}{'copies>=3':>11}"
    print(f"{'transform':<20}{heads}")
    for name, a in by.items():
        near = np.asarray(a.near)
        print(
            f"{name:<20}{len(near):>5}{near.min():>5}{np.median(near):>5.0f}{np.percentile(near, 90):>5.0f}"
            f"{share(a.pm1['canonical'], 31):>11.2f}{share(a.anywhere, 31):>10.2f}"
            f"{f'{a.copies_hit}/{a.copies}':>11}"
        )
    print("\n2. false matches: share of stored source frames with an unrelated frame within T bits")
    print(f"{'negatives':<24}{'<=31':>7}{'<=40':>7}{'<=50':>7}  closest")
    for label, n in neg.items():
        b = n.best["canonical"]
        cells = f"{share(b, 31):>7.3f}{share(b, 40):>7.3f}{share(b, 50):>7.3f}"
        print(f"{label:<24}{cells}  {n.closest[0]} bits: {n.closest[1]}")
    print(
        f"\n3. ideas: share of stored frames matched within +-1 frame (regions: PDQ quality >= {min_quality})"
    )
    columns = [("canonical", 31), ("+mirror", 31)]
    columns += [(v, t) for v in ("halves", "quadrants") for t in (20, 25, 31)]
    columns += [("halves+mir", 31), ("quadrants+mir", 31), ("+centre", 31)]
    short = {"canonical": "canon", "+mirror": "+mir", "halves": "half", "quadrants": "quad"}
    short |= {"halves+mir": "half+m", "quadrants+mir": "quad+m", "+centre": "+ctr"}
    heads = "".join(f"{f'{short[v]}<={t}':>11}" for v, t in columns)
    print(f"{'transform':<20}{heads}{'+ctr<=31 0.5s':>15}")
    for name in ideas:
        if name in by:
            row = _row(name, [share(by[name].pm1[v], t) for v, t in columns], width=11)
            print(f"{row}{share(by[name].wide['+centre'], 31):>15.2f}")
    print(
        "\n4. false matches of each variant: share of stored source frames with an unrelated frame within T"
    )
    thresholds = (20, 25, 31, 40, 50)
    print(f"{'variant':<16}{'negatives':<24}" + "".join(f"{f'<={t}':>7}" for t in thresholds) + "  closest")
    for v in VARIANTS:
        for label, n in neg.items():
            cells = "".join(f"{share(n.best[v], t):>7.3f}" for t in thresholds)
            print(f"{v:<16}{label:<24}{cells}{min(n.best[v], default=FAR):>9}")
    print("\n5. PDQ distance of a stored frame to its crop, scaled back (crop10: against a centred 5 % crop)")
    print(f"{'crop per side':<20}{'med':>6}{'p90':>6}{'max':>6}{'<=31':>7}")
    for name, values in crops.items():
        got = np.asarray(values)
        print(
            f"{name:<20}{np.median(got):>6.0f}{np.percentile(got, 90):>6.0f}{got.max():>6}"
            f"{share(values, 31):>7.2f}"
        )


if __name__ == "__main__":
    main()
