"""Memory on long videos: `evidence add` of a 1-minute and a 2-hour static clip, peak RSS of the
analysis worker and of the command, and the wall time.

    python bench/longclip.py [--minutes 1 120] [--code DIR] [--keep DIR]

Each clip (320x180, 25 fps, one still picture, x264 `ultrafast`: 2 hours encode in well under a minute)
is generated into a temp folder (or `--keep DIR`, reused when present) and added to a fresh catalogue
with `evidence add` in a new process, as a user runs it: copy, probe, the full analysis in the
isolated worker, the frames transaction and the matching. A sampler reads `/proc/<pid>/status` of the
command and of its worker every 0.1 s: their peak resident set (VmHWM, what the kernel remembers, so a
short peak between two samples is not missed) and the worker's current RSS over the run.

`--code DIR` runs the `evidence` package found in DIR instead of the installed one (a checkout of an
older commit, for a before/after comparison); the virtualenv's dependencies are used either way.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

FPS = 25
SIZE = (320, 180)


def make_static_clip(path: Path, seconds: int) -> Path:
    """One textured picture (colour blocks and a gradient) held for `seconds`, H.264 in MP4."""
    import av

    width, height = SIZE
    rng = np.random.default_rng(2026)
    blocks = rng.integers(0, 256, size=(6, 8, 3), dtype=np.uint8)
    picture = blocks[np.arange(height) * 6 // height][:, np.arange(width) * 8 // width].astype(np.int16)
    picture += (np.arange(width, dtype=np.int16) * 64 // width)[None, :, None] - 32
    frame = av.VideoFrame.from_ndarray(np.clip(picture, 0, 255).astype(np.uint8), format="rgb24")
    frame = frame.reformat(format="yuv420p")
    frame.time_base = Fraction(1, FPS)
    part = path.with_suffix(".part.mp4")
    with av.open(str(part), "w") as container:
        stream = container.add_stream("libx264", rate=FPS, options={"preset": "ultrafast", "crf": "23"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(seconds * FPS):
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    part.rename(path)
    return path


def _status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a live process in KiB ({} once it is gone)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        pass
    return found


@dataclass
class Sampler:
    """Polls a command and its child processes (the analysis worker) until it exits."""

    pid: int
    interval: float = 0.1
    command_peak: int = 0
    worker_peak: int = 0
    worker_rss: list[tuple[float, int]] = field(default_factory=list)  # (seconds since start, KiB)
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        started = time.perf_counter()
        while not self._stop.is_set():
            own = _status(self.pid)
            self.command_peak = max(self.command_peak, own.get("VmHWM", 0))
            for child in _children(self.pid):
                status = _status(child)
                if status:
                    self.worker_peak = max(self.worker_peak, status["VmHWM"])
                    self.worker_rss.append((time.perf_counter() - started, status["VmRSS"]))
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()


@dataclass(frozen=True)
class Run:
    seconds: float
    cpu_seconds: (
        float  # user + system of the command and its worker (steadier than wall time on a busy machine)
    )
    command_peak_mib: float
    worker_peak_mib: float
    worker_rss_mib: list[tuple[float, float]]  # (share of the run, MiB)


def evidence_add(clip: Path, code: Path | None) -> Run:
    work = Path(tempfile.mkdtemp(prefix="evidence-bench-"))
    exe = [sys.executable, "-m", "evidence"]
    env = {**os.environ, "EVIDENCE_ACTOR": "bench"}
    env.pop("EVIDENCE_DATABASE_URL", None)
    cwd = None
    if code is not None:  # `python -m` puts the working folder first on the path: run from the checkout
        env["PYTHONPATH"] = cwd = str(code.resolve())
    try:
        subprocess.run([*exe, "init", str(work)], check=True, capture_output=True, env=env, cwd=cwd)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        process = subprocess.Popen(
            [*exe, "--catalogue", str(work), "add", str(clip)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=cwd,
        )
        sampler = Sampler(process.pid)
        thread = threading.Thread(target=sampler.run, daemon=True)
        thread.start()
        out, err = process.communicate()
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime
        sampler.stop()
        thread.join()
        if process.returncode != 0:
            raise SystemExit(f"evidence add failed ({process.returncode}): {err.strip() or out.strip()}")
        span = sampler.worker_rss[-1][0] if sampler.worker_rss else 1.0
        timeline = []
        for share in (0.01, 0.1, 0.25, 0.5, 0.75, 1.0):
            at = [rss for t, rss in sampler.worker_rss if t <= share * span]
            if at:
                timeline.append((share, at[-1] / 1024))
        return Run(elapsed, cpu, sampler.command_peak / 1024, sampler.worker_peak / 1024, timeline)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=int, nargs="+", default=[1, 120], help="clip lengths")
    parser.add_argument("--code", type=Path, help="a checkout whose `evidence` package to run")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the generated clips in this folder")
    args = parser.parse_args()
    if args.code is not None:
        found = subprocess.run(
            [sys.executable, "-c", "import evidence; print(evidence.__file__)"],
            cwd=args.code,
            env={**os.environ, "PYTHONPATH": str(args.code.resolve())},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if not Path(found).resolve().is_relative_to(args.code.resolve()):
            raise SystemExit(f"--code {args.code}: `evidence` comes from {found} instead")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="evidence-longclip-"))
    folder.mkdir(parents=True, exist_ok=True)
    code = f", code from {args.code}" if args.code else ""
    print(f"{SIZE[0]}x{SIZE[1]} {FPS} fps static clips; {os.cpu_count()} cores{code}")
    head = ("generate s", 12), ("add s", 9), ("cpu s", 9), ("worker peak MiB", 17), ("command peak MiB", 18)
    print(f"{'clip':>8}" + "".join(f"{label:>{width}}" for label, width in head))
    try:
        for minutes in args.minutes:
            clip = folder / f"static-{minutes}min.mp4"
            started = time.perf_counter()
            if not clip.exists():
                make_static_clip(clip, minutes * 60)
            generated = time.perf_counter() - started
            run = evidence_add(clip, args.code)
            print(
                f"{minutes:>6} m{generated:>12.1f}{run.seconds:>9.1f}{run.cpu_seconds:>9.1f}"
                f"{run.worker_peak_mib:>17.0f}{run.command_peak_mib:>18.0f}"
            )
            shown = ", ".join(f"{share:.0%}: {mib:.0f}" for share, mib in run.worker_rss_mib)
            print(f"{'':>8}worker RSS (MiB) through the run: {shown}")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
