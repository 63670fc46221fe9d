"""Ingest speed: `evidence add` (full and --quick) against a plain PyAV decode of the same clip.

    python bench/ingest.py [--clip FILE] [--seconds 60] [--runs 3]

Prints, measured side by side in one run (medians of --runs): the time PyAV needs to decode the
clip converting every frame to RGB, and with frame threading and no conversion; the time of
`evidence add` on a fresh catalogue (a new process, as a user runs it) and of `evidence add --quick`;
their ratios and realtime multiples; and the analysis worker's peak memory.
"""

from __future__ import annotations

import argparse
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


def evidence_add(path: Path, *extra: str) -> tuple[float, int]:
    """Wall time of `evidence init` excluded; returns (seconds, peak RSS of children in KiB)."""
    work = Path(tempfile.mkdtemp(prefix="evidence-bench-"))
    exe = [sys.executable, "-m", "evidence"]
    env = {**os.environ, "EVIDENCE_ACTOR": "bench"}
    env.pop("EVIDENCE_DATABASE_URL", None)
    try:
        subprocess.run([*exe, "init", str(work)], check=True, capture_output=True, env=env)
        started = time.perf_counter()
        done = subprocess.run(
            [*exe, "--catalogue", str(work), "add", str(path), *extra],
            capture_output=True,
            text=True,
            env=env,
        )
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"evidence add failed ({done.returncode}): {done.stderr.strip()}")
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        return elapsed, peak
    finally:
        shutil.rmtree(work, ignore_errors=True)


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
    args = parser.parse_args()
    clip = args.clip or clip_720p(args.seconds)
    seconds = duration_of(clip)
    print(f"clip: {clip.name}, {seconds:.1f} s, {clip.stat().st_size / 1e6:.1f} MB; {os.cpu_count()} cores")
    rows: dict[str, list[float]] = {"decode_rgb": [], "decode_only": [], "add": [], "add_quick": []}
    peak = 0
    for _ in range(args.runs):
        rows["decode_rgb"].append(decode_rgb(clip))
        rows["decode_only"].append(decode_only(clip))
        t, peak = evidence_add(clip)
        rows["add"].append(t)
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


if __name__ == "__main__":
    main()
