"""Capture speed: `evidence capture` of the 60 s 720p clip from a local web server against `evidence
add` of the same file.

    python bench/capture.py [--clip FILE] [--runs 3] [--no-screenshot]

Serves the clip on 127.0.0.1 (never the internet) as a direct link and inside a page (`<video src>`,
yt-dlp's generic extractor), and times on a fresh catalogue each (a new process, as a user runs it):
`evidence add FILE`, `evidence capture DIRECT-LINK` and `evidence capture PAGE` (medians of --runs),
each with the full analysis and matching. Prints the times and their ratios to `add`; what a capture
adds is the download, the WARC/WACZ of the exchange, yt-dlp's start and (for the page) a screenshot.
"""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clips import clip_720p


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(folder: Path) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def timed(*args: str) -> float:
    work = Path(tempfile.mkdtemp(prefix="evidence-bench-"))
    exe = [sys.executable, "-m", "evidence"]
    env = {**os.environ, "EVIDENCE_ACTOR": "bench"}
    env.pop("EVIDENCE_DATABASE_URL", None)
    try:
        subprocess.run([*exe, "init", str(work)], check=True, capture_output=True, env=env)
        started = time.perf_counter()
        done = subprocess.run(
            [*exe, "--catalogue", str(work), *args], capture_output=True, text=True, env=env
        )
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"evidence {args[0]} failed ({done.returncode}): {done.stderr.strip()}")
        return elapsed
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-screenshot", action="store_true")
    options = parser.parse_args()
    clip = options.clip or clip_720p()
    site = Path(tempfile.mkdtemp(prefix="evidence-site-"))
    shutil.copyfile(clip, site / "clip.mp4")
    (site / "post.html").write_text(
        "<html><head><title>A post</title></head><body><video src='clip.mp4' controls></video></body></html>"
    )
    server, base = serve(site)
    extra = ["--no-screenshot"] if options.no_screenshot else []
    rows: dict[str, list[float]] = {"add FILE": [], "capture DIRECT-LINK": [], "capture PAGE": []}
    try:
        for _ in range(options.runs):  # alternating, so that the machine's drift touches all three
            rows["add FILE"].append(timed("add", str(site / "clip.mp4")))
            rows["capture DIRECT-LINK"].append(timed("capture", f"{base}/clip.mp4", *extra))
            rows["capture PAGE"].append(timed("capture", f"{base}/post.html", *extra))
    finally:
        server.shutdown()
        shutil.rmtree(site, ignore_errors=True)
    size = clip.stat().st_size
    print(
        f"clip: {clip} ({size / 1e6:.1f} MB); runs: {options.runs}; screenshot: {not options.no_screenshot}"
    )
    base_time = statistics.median(rows["add FILE"])
    for name, times in rows.items():
        median = statistics.median(times)
        every = ", ".join(f"{t:.2f}" for t in times)
        print(f"{name:<22} median {median:6.2f} s  ({every})  {median / base_time:.2f}x add")


if __name__ == "__main__":
    main()
