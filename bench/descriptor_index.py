"""Descriptor search speed: `descriptors.search` over 1 M stored copy-detection descriptors, on SQLite
and PostgreSQL (data: `bench/descriptor_data.py`).

    python bench/descriptor_index.py [--backend sqlite|postgresql|both] [--descriptors 1000000]
                                     [--queries 200] [--pg-url postgresql+psycopg:///evidence_bench2]
                                     [--fresh] [--match]

Builds the catalogue once (cached in bench/.cache/ and in the PostgreSQL database), removes the
descriptor cache and times its build (the first search's sync) and size, then in one read transaction:
the sync check alone (what every search pays), the median and p95 time of `search` for single query
frames, a 120-frame clip-like batch (a 60 s clip at 2 a second), the exhaustive scan of that batch
(`exact_search`, the reference and the code before), and recall against numpy over every stored vector,
per planted similarity. `--match` also times `evidence match` of the 60 s benchmark clip (bench/clips.py)
against an empty catalogue (the clip's analysis alone) and three times against a copy of the SQLite
catalogue (the first run builds the copy's cache).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from descriptor_data import PLANTED, Data, build, exact

from evidence.catalogue import descriptor_cache
from evidence.catalogue.descriptors import DescriptorHit, exact_search, search
from evidence.catalogue.engine import Database
from evidence.media import sscd

CACHE = Path(__file__).resolve().parent / ".cache"
THRESHOLD = 0.40
ALGORITHM = (sscd.ALGORITHM, sscd.VERSION)


def ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def recall(truth: list[set[int]], found: list[set[int]]) -> tuple[int, int]:
    return sum(len(t & f) for t, f in zip(truth, found, strict=True)), sum(len(t) for t in truth)


def measure(
    name: str, url: str, data: Data, truth: dict[str, list[set[int]]], args: argparse.Namespace
) -> list[str]:
    db = Database(url)
    print(f"{name}: {url}", file=sys.stderr)
    build(db, url, data.stored, args.fresh)
    rows = []
    with db.read() as s:
        where = descriptor_cache.directory(s, ALGORITHM)
        assert where is not None
        shutil.rmtree(where, ignore_errors=True)
        started = time.perf_counter()
        codes = descriptor_cache.load(s, ALGORITHM)
        built = ms_since(started) / 1000
        assert codes is not None
        size = sum(f.stat().st_size for f in where.iterdir())
        rows.append(
            f"| {name} | cache build ({len(codes.ids):,} rows) | {built * 1000:,.0f} | | "
            f"size {size / 1e6:.0f} MB |"
        )
        checks = []
        for _ in range(50):
            started = time.perf_counter()
            descriptor_cache.load(s, ALGORITHM)
            checks.append(ms_since(started))
        rows.append(
            f"| {name} | sync check (no change) | {statistics.median(checks):.2f} | "
            f"{sorted(checks)[47]:.2f} | |"
        )
        warm = np.random.default_rng(1).standard_normal((30, 512)).astype(np.float32)
        for q in warm / np.linalg.norm(warm, axis=1, keepdims=True):
            search(s, q[None], algorithm=ALGORITHM, threshold=THRESHOLD)
        for run in range(2):
            times, found = [], []
            for q in data.single:
                started = time.perf_counter()
                hits = search(s, q[None], algorithm=ALGORITHM, threshold=THRESHOLD)
                times.append(ms_since(started))
                found.append(ids_of(s, hits, 1)[0])
            times.sort()
            got, total = recall(truth["single"], found)
            rows.append(
                f"| {name} | single frame (run {run + 1}) | {statistics.median(times):.2f} | "
                f"{times[int(0.95 * (len(times) - 1))]:.2f} | {100 * got / total:.2f} % of {total} |"
            )
        per_sim = []
        for j, sim in enumerate(PLANTED):
            planted = [{sorted(t)[j]} if len(t) == len(PLANTED) else set() for t in truth["single"]]
            got, total = recall(planted, found)
            per_sim.append(f"{sim:.2f}: {got}/{total}")
        batch_times = []
        for _ in range(3):
            started = time.perf_counter()
            hits = search(s, data.batch, algorithm=ALGORITHM, threshold=THRESHOLD)
            batch_times.append(ms_since(started))
        got, total = recall(truth["batch"], ids_of(s, hits, len(data.batch)))
        rows.append(
            f"| {name} | batch of {len(data.batch)} (60 s clip) | {statistics.median(batch_times):,.0f} | "
            f"{max(batch_times):,.0f} | {100 * got / total:.2f} % of {total} |"
        )
        if args.exact:
            started = time.perf_counter()
            reference = exact_search(s, data.batch, algorithm=ALGORITHM, threshold=THRESHOLD)
            took = ms_since(started)
            same = sorted((h.query, h.item_id, h.t) for h in reference) == sorted(
                (h.query, h.item_id, h.t) for h in hits
            )
            rows.append(f"| {name} | exhaustive scan, same batch | {took:,.0f} | | identical hits: {same} |")
    print(f"  recall per planted similarity ({name}): " + ", ".join(per_sim), file=sys.stderr)
    db.dispose()
    return rows


def ids_of(session: object, hits: list[DescriptorHit], n: int) -> list[set[int]]:
    """Hits as descriptor ids (the benchmark's frames are one per item row, t = index in the item)."""
    out: list[set[int]] = [set() for _ in range(n)]
    for h in hits:
        out[h.query].add((h.item_id - 1) * 100 + int(h.t) + 1)
    return out


def match_clip(database: Path) -> list[str]:
    """`evidence match` (a new process) of the 60 s clip against a copy of the 1 M catalogue."""
    from clips import clip_720p

    clip = clip_720p(60)
    rows = []
    with tempfile.TemporaryDirectory(prefix="evidence-bench-", dir=CACHE) as work:
        env = {**os.environ, "EVIDENCE_ACTOR": "bench"}
        env.pop("EVIDENCE_DATABASE_URL", None)
        exe = [sys.executable, "-m", "evidence"]
        empty = Path(work) / "empty"
        subprocess.run([*exe, "init", str(empty)], check=True, capture_output=True, env=env)
        subprocess.run([*exe, "init", work], check=True, capture_output=True, env=env)
        shutil.copyfile(database, Path(work) / ".evidence" / "catalogue.sqlite")
        runs = [(empty, "empty catalogue (the analysis alone)")] + [
            (Path(work), label) for label in ("first run: builds the cache", "second run", "third run")
        ]
        for where, label in runs:
            started = time.perf_counter()
            done = subprocess.run(
                [*exe, "--catalogue", str(where), "match", str(clip), "--json"],
                capture_output=True,
                text=True,
                env=env,
            )
            took = time.perf_counter() - started
            if done.returncode != 0:
                raise SystemExit(f"evidence match failed ({done.returncode}): {done.stderr.strip()}")
            rows.append(f"| SQLite | `evidence match` 60 s clip, {label} | {took * 1000:,.0f} | | |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--descriptors", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--pg-url", default=os.environ.get("EVIDENCE_BENCH_PG", "postgresql+psycopg:///evidence_bench2")
    )
    parser.add_argument("--fresh", action="store_true", help="rebuild the catalogues even if cached")
    parser.add_argument("--no-exact", dest="exact", action="store_false", help="skip the exhaustive scan")
    parser.add_argument("--match", action="store_true", help="also time `evidence match` on a 60 s clip")
    args = parser.parse_args()
    data = Data(args.descriptors, args.queries, 120)
    truth = {
        "single": exact(data.stored, data.single, THRESHOLD),
        "batch": exact(data.stored, data.batch, THRESHOLD),
    }
    CACHE.mkdir(exist_ok=True)
    rows = []
    if args.backend in ("sqlite", "both"):
        path = CACHE / f"descriptors-{args.descriptors}.sqlite"
        rows += measure("SQLite", f"sqlite:///{path}", data, truth, args)
        if args.match:
            rows += match_clip(path)
    if args.backend in ("postgresql", "both"):
        rows += measure("PostgreSQL", args.pg_url, data, truth, args)
    print(f"{args.descriptors:,} stored descriptors; threshold {THRESHOLD}; {os.cpu_count()} cores")
    print("| backend | measure | median ms | p95 / max ms | recall vs exact |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
