"""Ingest speed: `evidence add` (full and --quick) against a plain PyAV decode of the same clip.

    python bench/ingest.py [--clip FILE] [--seconds 60] [--runs 3]

Prints, measured side by side in one run (medians of --runs): the time PyAV needs to decode the
clip converting every frame to RGB, and with frame threading and no conversion; the time of
`evidence add` on a fresh catalogue (a new process, as a user runs it) and of `evidence add --quick`;
their ratios and realtime multiples; and the analysis worker's peak memory.

Then the CPU budget of the full add: the CPU time of the command and its analysis worker (user +
system), how many of the machine's cores that kept busy on average, and the wall time the same CPU
time would need with every core busy from the first instant to the last (its floor, as a ratio to the
decode); beside it, two parts no overlap can remove: decoding only the frames other frames refer to
(what the analysis cannot skip, one thread) and the descriptor model on the pictures a full analysis
describes (two a second). Where the floor is above 1.0x, only less work reaches 1.0x, not more overlap.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clips import clip_720p


def decode_rgb(path: Path) -> float:
    import av

    started = time.perf_counter()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            frame.to_ndarray(format="rgb24")
    return time.perf_counter() - started


def decode_only(path: Path) -> float:
    import av

    started = time.perf_counter()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for _ in container.decode(stream):
            pass
    return time.perf_counter() - started


def cpu_of_children() -> float:
    """User + system seconds of the children (and theirs) waited for so far."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def cpu_of_self() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def decode_references(path: Path) -> float:
    """CPU seconds to decode only the frames other frames refer to, on one thread (the analysis
    decodes these everywhere, and every frame only near its grid points)."""
    import av

    started = cpu_of_self()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.codec_context.thread_count = 1
        stream.codec_context.skip_frame = "NONREF"
        for _ in container.decode(stream):
            pass
    return cpu_of_self() - started


def describe_pictures(path: Path, seconds: float) -> float:
    """CPU seconds of the descriptor model on as many pictures as a full analysis describes (two a
    second), at the model's input size for this clip (the pictures' content does not change its cost)."""
    import numpy as np

    from evidence.media import sscd

    w, h = sscd.input_size(*frame_size(path))
    count = max(1, round(seconds * 2))
    pictures = [np.random.default_rng(n).integers(0, 256, (h, w, 3), dtype=np.uint8) for n in range(count)]
    sscd.describe(pictures[:1])  # the model's load is not the per-picture cost
    started = cpu_of_self()
    sscd.describe(pictures)
    return cpu_of_self() - started


def frame_size(path: Path) -> tuple[int, int]:
    import av

    with av.open(str(path)) as container:
        context = container.streams.video[0].codec_context
        return context.width, context.height


def evidence_add(
    path: Path, *extra: str, ocr: str = "none", read: list[int] | None = None
) -> tuple[float, int, float]:
    """Wall time of `evidence init` excluded; returns (seconds, peak RSS of children in KiB, CPU
    seconds of the command and its worker). `ocr`: `EVIDENCE_OCR_LANGUAGES` (the main rows read no
    text; `ocr_cost` measures reading); `read` gets the keyframes and the words kept."""
    work = Path(tempfile.mkdtemp(prefix="evidence-bench-"))
    exe = [sys.executable, "-m", "evidence"]
    env = {**os.environ, "EVIDENCE_ACTOR": "bench", "EVIDENCE_OCR_LANGUAGES": ocr}
    env.pop("EVIDENCE_DATABASE_URL", None)
    try:
        subprocess.run([*exe, "init", str(work)], check=True, capture_output=True, env=env)
        cpu_before = cpu_of_children()
        started = time.perf_counter()
        done = subprocess.run(
            [*exe, "--catalogue", str(work), "add", str(path), *extra],
            capture_output=True,
            text=True,
            env=env,
        )
        elapsed = time.perf_counter() - started
        cpu = cpu_of_children() - cpu_before
        if done.returncode != 0:
            raise SystemExit(f"evidence add failed ({done.returncode}): {done.stderr.strip()}")
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        if read is not None:
            frames = subprocess.run([*exe, "--catalogue", str(work), "frames", "1", "--keyframes", "--json"],
                                    capture_output=True, check=True, env=env)  # fmt: skip
            text = subprocess.run([*exe, "--catalogue", str(work), "ocr", "1", "--json"],
                                  capture_output=True, check=True, env=env)  # fmt: skip
            readings = json.loads(text.stdout)["readings"]
            read[:] = [len(json.loads(frames.stdout)["frames"]), sum(len(r["words"]) for r in readings)]
        return elapsed, peak, cpu
    finally:
        shutil.rmtree(work, ignore_errors=True)


def ocr_cost(clip: Path, runs: int) -> None:
    """The cost of reading text in the keyframes: the same full add without and with Tesseract (all
    four languages), and per keyframe read."""
    import shutil as which

    if which.which("tesseract") is None:
        print("text in frames: Tesseract is not installed, not measured")
        return
    read: list[int] = []
    plain = statistics.median(evidence_add(clip)[0] for _ in range(runs))
    reading = statistics.median(evidence_add(clip, ocr="eng+rus+ukr+ara", read=read)[0] for _ in range(runs))
    keyframes, words = read
    each = (reading - plain) / max(1, keyframes)
    print(
        f"text in frames: full add {plain:.2f} s without reading, {reading:.2f} s reading its {keyframes} "
        f"keyframes ({words} words kept): +{reading - plain:.2f} s, {each:.2f} s a keyframe, "
        f"{reading / plain:.2f}x"
    )


def remuxed_copies(clip: Path, count: int, folder: Path) -> list[Path]:
    """Distinct files (a different container title each) with the same frames, without re-encoding."""
    import av

    paths = []
    for n in range(count):
        target = folder / f"copy-{n:02d}.mp4"
        with av.open(str(clip)) as source, av.open(str(target), "w") as out:
            out.metadata["title"] = f"bench copy {n}"
            stream = source.streams.video[0]
            copy = out.add_stream_from_template(stream)
            for packet in source.demux(stream):
                if packet.dts is None:
                    continue
                packet.stream = copy
                out.mux(packet)
        paths.append(target)
    return paths


def duration_of(path: Path) -> float:
    import av

    with av.open(str(path)) as container:
        return float(container.duration or 0) / 1_000_000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clip", type=Path, help="a clip to use instead of the generated 720p30 one")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--folder", type=int, default=10, help="clips in the --quick folder run")
    parser.add_argument("--ocr-only", action="store_true", help="only the cost of reading text in frames")
    args = parser.parse_args()
    clip = args.clip or clip_720p(args.seconds)
    seconds = duration_of(clip)
    print(f"clip: {clip.name}, {seconds:.1f} s, {clip.stat().st_size / 1e6:.1f} MB; {os.cpu_count()} cores")
    if args.ocr_only:
        ocr_cost(clip, args.runs)
        return
    rows: dict[str, list[float]] = {"decode_rgb": [], "decode_only": [], "add": [], "add_quick": []}
    peak = 0
    cpus: list[float] = []
    for _ in range(args.runs):
        rows["decode_rgb"].append(decode_rgb(clip))
        rows["decode_only"].append(decode_only(clip))
        t, peak, cpu = evidence_add(clip)
        rows["add"].append(t)
        cpus.append(cpu)
        rows["add_quick"].append(evidence_add(clip, "--quick")[0])
    med = {k: statistics.median(v) for k, v in rows.items()}
    print(f"{'measure':<34}{'median s':>10}{'x realtime':>12}")
    labels = {
        "decode_rgb": "PyAV decode, every frame to RGB",
        "decode_only": "PyAV decode, threads, no conversion",
        "add": "evidence add (full analysis)",
        "add_quick": "evidence add --quick",
    }
    for key, label in labels.items():
        print(f"{label:<34}{med[key]:>10.2f}{seconds / med[key]:>12.1f}")
    print(f"ratio add / decode_rgb: {med['add'] / med['decode_rgb']:.2f}  (target <= 1.5, aim <= 1.0)")
    print(f"--quick, one clip, whole command: {seconds / med['add_quick']:.0f}x realtime")
    cores, cpu = os.cpu_count() or 1, statistics.median(cpus)
    references = statistics.median(decode_references(clip) for _ in range(args.runs))
    model = describe_pictures(clip, seconds)
    print(
        f"CPU budget of the full add: {cpu:.2f} CPU-s, {cpu / med['add']:.2f} of {cores} cores busy; "
        f"with every core busy throughout it would take {cpu / cores:.2f} s = "
        f"{cpu / cores / med['decode_rgb']:.2f}x the decode (the floor of this much work)"
    )
    print(
        f"  parts no overlap removes: decoding the frames others refer to {references:.2f} CPU-s "
        f"(one thread), "
        f"the model on {round(seconds * 2)} pictures {model:.2f} CPU-s"
    )
    with tempfile.TemporaryDirectory(prefix="evidence-bench-folder-") as folder:
        copies = remuxed_copies(clip, args.folder, Path(folder))
        wall = statistics.median(evidence_add(Path(folder), "--quick")[0] for _ in range(args.runs))
        full = evidence_add(Path(folder))[0]
    total = seconds * len(copies)
    print(
        f"--quick, a folder of {len(copies)} clips ({total:.0f} s of video): {wall:.2f} s, "
        f"{total / wall:.0f}x realtime  (target >= 200x)"
    )
    print(f"full add of the same folder: {full:.2f} s, {total / full:.1f}x realtime")
    print(f"peak RSS of a child process (evidence or its analysis worker): {peak / 1024:.0f} MiB")
    ocr_cost(clip, args.runs)


if __name__ == "__main__":
    main()
