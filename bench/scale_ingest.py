"""Team scale (issue 15, the ingest half): ingest throughput, in clips a minute, with 1, 2 and 4
`evidence worker` processes on the job queue, against `evidence add` analysing in its own process.

    .venv/bin/python bench/scale_ingest.py [--clips 24] [--seconds 10] [--workers 1 2 4]
                                           [--pg-url URL [--onto-scale]] [--no-inprocess] [--json FILE]
                                           [--keep DIR]

What it does:

* starts its own `redis-server` (Debian's /usr/bin/redis-server, or EVIDENCE_TEST_REDIS_SERVER) on
  127.0.0.1 on a free port, with nothing saved to disk, in a temp folder; stopped at the end, on errors
  and on Ctrl-C (as are the workers);
* generates --clips distinct clips once (--seconds long, 640x360, 25 fps, H.264 x264 `veryfast` CRF 23:
  bench/clips.py's camera-like pans and zooms over a noise landscape with sensor noise and a hard cut
  every 8 s, a landscape of its own per clip) and keeps them in bench/.cache/ingest-clips/;
* the in-process baseline (unless --no-inprocess): a fresh catalogue, `evidence init`, then one
  `evidence add` of every clip without EVIDENCE_QUEUE_URL (each analysed and looked up in turn by the
  command's own analysis process, as a single user runs it): clips a minute = clips / its wall time;
* for each --workers W: a fresh catalogue (SQLite in a temp folder by default; with --pg-url, that
  PostgreSQL database emptied first: never `evidence_test`), a fresh Redis database, `evidence init`,
  then `evidence add` of every clip with EVIDENCE_QUEUE_URL set (timed: preserve, record and queue
  each; nothing analysed yet), then W processes of `evidence worker --concurrency 1`, each in a process
  group of its own (one Celery prefork pool process each; `evidence worker --concurrency W`, one
  process with W pool processes, is the other way to run W at once), timed from the first worker's
  start until the catalogue's `analysis_job` rows say every job is done (polled every 0.2 s in this
  process: a cheap query, where `evidence jobs` as its own process would cost a Python start a poll
  on the cores being measured). Clips a minute = clips / that time * 60; the time includes the
  workers' start (Python, Celery, the catalogue opened, the analysis process forked), shown apart as
  "start s" (the first worker's start to the first job taken). Then `evidence jobs --all --json`
  once: the per-job median of finished_at - started_at;
* checks each run: every job done, none failed, every job taken once, no message left in the queue,
  one `analyse` custody event per item and every item analysed `ok`; then stops the workers (SIGTERM to
  each process group, SIGKILL after 60 s) and says how long they took to stop.

With --onto-scale each run starts from a copy of bench/scale.py's kept full-size catalogue (100,000
items, 10 M fingerprints and their frame index) instead of an empty one: its database copied into
--pg-url's (CREATE DATABASE … TEMPLATE, by file copy; the kept one is never written), its folder into
the run's. Each clip is then looked up in, and its frames indexed beside, a full-size frame index: the
ingest throughput and the write lock's hold time of a team archive at that size.

On PostgreSQL (--pg-url) each worker run also measures the catalogue's write lock (`LockSampler`):
how many write transactions held it, their median, p95 and longest hold, the share of the run it was
held, and how many waited for it and the longest wait. One analysis commit at a time is the design's
serial section (docs/scaling.md): this is how long it is.

Also recorded: os.cpu_count(), the load average before each run, the CPU time of the run's processes
(`add`, or the workers with their pool and analysis processes: getrusage of the reaped children) and
their peak (the most cores they kept busy over any 1 s, from /proc/PID/stat of their process groups
sampled every 0.25 s) and the whole machine's mean busy cores over the run (/proc/stat: other work on
the machine shows there).

Throughput should grow with the workers until the cores are used up: each job is CPU bound (decoding,
hashing; the analysis process uses frame threading, so one job alone may already keep more than one
core partly busy) and the queue and catalogue writes are small beside it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT / "tests"))

import redisserver  # noqa: E402

CLIPS = BENCH / ".cache" / "ingest-clips"
SIZE = (640, 360)
FPS = 25
ACTOR = "bench"
POLL = 0.2
STOP_WAIT = 60.0
TICK = os.sysconf("SC_CLK_TCK")


def say(text: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# --- clips ----------------------------------------------------------------------------------------


def make_clip(path: Path, *, seconds: int, seed: int) -> Path:
    """bench/clips.py's footage (its landscape, pans, zooms, noise, a cut every 8 s), seeded per clip."""
    from clips import make_clip as footage

    return footage(path, seconds=seconds, size=SIZE, fps=FPS, seed=seed)


def clips(count: int, seconds: int) -> list[Path]:
    CLIPS.mkdir(parents=True, exist_ok=True)
    paths = []
    started = time.perf_counter()
    for n in range(count):
        path = CLIPS / f"clip-{SIZE[1]}p{FPS}-{seconds}s-{n:03d}.mp4"
        if not path.exists():
            tmp = path.with_suffix(".part.mp4")
            make_clip(tmp, seconds=seconds, seed=15_000 + n)
            tmp.rename(path)
        paths.append(path)
    if time.perf_counter() - started > 1:
        say(f"clips generated in {time.perf_counter() - started:.0f} s into {CLIPS}")
    return paths


# --- redis ----------------------------------------------------------------------------------------


# --- processes and CPU ----------------------------------------------------------------------------


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already counted in user
    return (total - idle) / TICK, total / TICK


def group_cpu(groups: set[int]) -> float:
    """CPU seconds of the live processes in these process groups, with their reaped children's."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            raw = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()  # after "pid (comm) "
        if int(fields[2]) in groups:  # pgrp
            total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
    return total / TICK


class LockSampler:
    """On PostgreSQL, how long writers hold the catalogue's write lock (the transaction-scoped advisory
    lock every write transaction takes first: `catalogue/engine.py` `Database.write`) and how long
    others wait for it, in the catalogue's database: `pg_locks` joined to `pg_stat_activity`, sampled
    every 10 ms from a thread of this process. A hold is one (pid, transaction start) seen granted,
    from the first sample that saw it to the last, so holds shorter than the interval count as 0 ms
    and every figure is low by up to 10 ms; a wait likewise, seen not granted."""

    INTERVAL = 0.01

    def __init__(self, url: str) -> None:
        from sqlalchemy import create_engine

        self.engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        self.held: dict[tuple[int, str], list[float]] = {}
        self.waited: dict[tuple[int, str], list[float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LockSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.engine.dispose()

    def _run(self) -> None:
        from sqlalchemy import text

        query = text(
            "SELECT l.pid, l.granted, a.xact_start::text FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        with self.engine.connect() as conn:
            while not self._stop.is_set():
                now = time.perf_counter()
                for pid, granted, started in conn.execute(query):
                    kept = self.held if granted else self.waited
                    seen = kept.setdefault((pid, started or ""), [now, now])
                    seen[1] = now
                conn.commit()
                time.sleep(self.INTERVAL)

    def figures(self, wall: float) -> dict[str, Any]:
        holds = sorted((b - a) * 1000 for a, b in self.held.values())
        waits = sorted((b - a) * 1000 for a, b in self.waited.values())

        def p95(values: list[float]) -> float | None:
            return values[min(len(values) - 1, int(0.95 * len(values)))] if values else None

        return {
            "lock_holds": len(holds),
            "lock_hold_median_ms": statistics.median(holds) if holds else None,
            "lock_hold_p95_ms": p95(holds),
            "lock_hold_max_ms": holds[-1] if holds else None,
            "lock_held_share": sum(holds) / 1000 / wall if wall else None,
            "lock_waits": len(waits),
            "lock_wait_max_ms": waits[-1] if waits else None,
        }


class CpuSampler:
    """Samples the CPU time of the process groups it is given, for the most cores kept busy over 1 s."""

    def __init__(self) -> None:
        self.groups: set[int] = set()
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> CpuSampler:
        self.machine_start = machine_busy()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.machine_end = machine_busy()

    def _run(self) -> None:
        while not self._stop.is_set():
            if self.groups:
                self.samples.append((time.monotonic(), group_cpu(set(self.groups))))
            self._stop.wait(0.25)

    def peak_cores(self) -> float | None:
        best = None
        for i, (t0, c0) in enumerate(self.samples):
            for t1, c1 in self.samples[i + 1 :]:
                if t1 - t0 >= 1.0:
                    rate = max(0.0, c1 - c0) / (t1 - t0)
                    best = rate if best is None else max(best, rate)
                    break
        return best

    def machine_cores(self) -> float:
        busy = self.machine_end[0] - self.machine_start[0]
        total = self.machine_end[1] - self.machine_start[1]
        return busy / total * (os.cpu_count() or 1) if total > 0 else 0.0


def evidence(*args: str) -> list[str]:
    return [sys.executable, "-m", "evidence", *args]


def run(command: list[str], env: dict[str, str], log: Path) -> float:
    """Run a command to its end (its own process group), its output to `log`; returns its wall time."""
    started = time.perf_counter()
    with log.open("ab") as out:
        out.write(f"$ {' '.join(command)}\n".encode())
        out.flush()
        done = subprocess.run(command, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[2:])} exited {done.returncode}: see {log}\n{tail(log)}")
    return seconds


def tail(log: Path, chars: int = 3000) -> str:
    return log.read_text(errors="replace")[-chars:] if log.exists() else ""


class Workers:
    """`evidence worker --concurrency 1` processes, each in a process group of its own."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder, self.env = folder, env
        self.procs: list[subprocess.Popen[bytes]] = []
        self.stop_seconds: float | None = None
        self.killed = 0
        self.procs_stopped: list[subprocess.Popen[bytes]] = []

    def start(self, catalogue: Path) -> subprocess.Popen[bytes]:
        log = (self.folder / f"worker-{len(self.procs)}.log").open("wb")
        proc = subprocess.Popen(
            evidence("--catalogue", str(catalogue), "worker", "--concurrency", "1"),
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.procs.append(proc)
        return proc

    def dead(self) -> list[int]:
        return [n for n, p in enumerate(self.procs) if p.poll() is not None]

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n" + p.read_text(errors="replace")[-3000:]
            for p in sorted(self.folder.glob("worker-*.log"))
        )

    def stop(self) -> None:
        if not self.procs:
            return
        started = time.perf_counter()
        for proc in self.procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=max(1.0, STOP_WAIT - (time.perf_counter() - started)))
            except subprocess.TimeoutExpired:
                self.killed += 1
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
        # the pool and analysis processes left in a group (they should have gone with their worker)
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, 0)
                self.killed += 1
                os.killpg(proc.pid, signal.SIGKILL)
        self.stop_seconds = time.perf_counter() - started
        self.procs_stopped = list(self.procs)
        self.procs = []


_live_workers: list[Workers] = []


# --- catalogues -----------------------------------------------------------------------------------


ONTO: dict[str, Any] = {}
"""With --onto-scale: the record of bench/scale.py's kept full-size catalogue (its built.json), which
each run starts from."""


def fresh_catalogue(root: Path, name: str, pg_url: str | None, env: dict[str, str]) -> tuple[Path, Path]:
    folder = root / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    if ONTO:
        assert pg_url is not None
        copy_scale_catalogue(pg_url, folder)
    else:
        if pg_url:
            from scale import reset_database

            reset_database(pg_url)
        run(evidence("init", str(folder)), env, folder / "commands.log")
    return folder, folder / ".evidence"


def copy_scale_catalogue(pg_url: str, folder: Path) -> None:
    """The kept full-size catalogue as this run's: its database copied (CREATE DATABASE … TEMPLATE, by
    file copy) into --pg-url's, its folder (marker and store) into the run's folder."""
    from scale import FOLDER
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(pg_url)
    source = make_url(ONTO["url"]).database
    if target.database in (source, "evidence_test"):
        raise SystemExit(f"--pg-url must name a database of its own, not {target.database}")
    started = time.monotonic()
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{target.database}" TEMPLATE "{source}" STRATEGY FILE_COPY'))
    finally:
        admin.dispose()
    shutil.copytree(FOLDER / ".evidence", folder / ".evidence")
    say(f"  the full-size catalogue copied into {target.database} in {time.monotonic() - started:.0f} s")


def job_counts(catalogue: Path) -> dict[str, int]:
    from evidence.catalogue import jobs
    from evidence.workspace import open_workspace

    with open_workspace(catalogue) as ws, ws.db.read() as session:
        return jobs.counts(session)


class Poller:
    """The catalogue kept open for polling the jobs' counts (one query a poll)."""

    def __init__(self, catalogue: Path) -> None:
        from evidence.workspace import open_workspace

        self._stack = contextlib.ExitStack()
        self.ws = self._stack.enter_context(open_workspace(catalogue))

    def counts(self) -> dict[str, int]:
        from evidence.catalogue import jobs

        with self.ws.db.read() as session:
            return jobs.counts(session)

    def close(self) -> None:
        self._stack.close()


def check_items(catalogue: Path, expected: int) -> list[str]:
    """What is wrong with the catalogue's items: counted, analysed `ok`, one `analyse` event each (with
    --onto-scale: the items the clips made, beside the full-size catalogue's)."""
    from sqlalchemy import func, select

    from evidence.catalogue.models import Event, Item
    from evidence.core.custody import CustodyAction
    from evidence.workspace import open_workspace

    problems = []
    with open_workspace(catalogue) as ws, ws.db.read() as session:
        query = select(Item.sha256, Item.analysis)
        if ONTO:
            query = query.where(Item.id > ONTO["last_item"])
        items = session.execute(query).all()
        events = dict(
            session.execute(
                select(Event.subject, func.count())
                .where(Event.action == CustodyAction.ANALYSE.value)
                .group_by(Event.subject)
            ).all()
        )
    if len(items) != expected:
        problems.append(f"{len(items)} items catalogued, {expected} clips added")
    not_ok = [f"{sha[:12]} {analysis}" for sha, analysis in items if analysis != "ok"]
    if not_ok:
        problems.append(f"{len(not_ok)} items not analysed ok: {', '.join(not_ok[:5])}")
    wrong = [
        f"{sha[:12]}: {events.get(f'item:{sha}', 0)}" for sha, _ in items if events.get(f"item:{sha}") != 1
    ]
    if wrong:
        problems.append(f"{len(wrong)} items without exactly one analyse event: {', '.join(wrong[:5])}")
    return problems


def env_for(pg_url: str | None, queue: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("EVIDENCE_QUEUE_URL", "EVIDENCE_CATALOGUE")}
    env["EVIDENCE_ACTOR"] = ACTOR
    env.pop("EVIDENCE_DATABASE_URL", None)
    if pg_url:
        env["EVIDENCE_DATABASE_URL"] = pg_url
    if queue:
        env["EVIDENCE_QUEUE_URL"] = queue
    return env


# --- the runs -------------------------------------------------------------------------------------


def in_process(paths: list[Path], root: Path, pg_url: str | None) -> dict[str, Any]:
    env = env_for(pg_url, None)
    folder, catalogue = fresh_catalogue(root, "in-process", pg_url, env)
    load = os.getloadavg()
    say(f"in-process: evidence add of {len(paths)} clips (load average {load[0]:.2f})")
    cpu_before = children_cpu()
    log = folder / "commands.log"
    command = evidence("--catalogue", str(folder), "add", *map(str, paths))
    with CpuSampler() as sampler, log.open("ab") as out:
        out.write(f"$ {' '.join(command)}\n".encode())
        out.flush()
        started = time.perf_counter()
        proc = subprocess.Popen(
            command,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        sampler.groups.add(proc.pid)
        code = proc.wait()
        wall = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"evidence add exited {code}: see {log}\n{tail(log)}")
    problems = check_items(catalogue, len(paths))
    return {
        "mode": "in-process add",
        "workers": None,
        "clips": len(paths),
        "wall_s": wall,
        "clips_per_min": len(paths) / wall * 60,
        "add_s": wall,
        "median_job_s": None,
        "start_s": None,
        "load_before": load,
        "cpu_s": children_cpu() - cpu_before,
        "peak_cores": sampler.peak_cores(),
        "machine_cores": sampler.machine_cores(),
        "problems": problems,
    }


def parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    instant = datetime.fromisoformat(value)
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def queued(
    paths: list[Path], count: int, root: Path, pg_url: str | None, queue: str, timeout: float
) -> dict[str, Any]:
    env = env_for(pg_url, queue)
    folder, catalogue = fresh_catalogue(root, f"workers-{count}", pg_url, env)
    log = folder / "commands.log"
    say(f"{count} workers: evidence add of {len(paths)} clips, queued")
    add_s = run(evidence("--catalogue", str(folder), "add", *map(str, paths)), env, log)
    counts = job_counts(catalogue)
    if counts.get("queued") != len(paths):
        raise SystemExit(f"after add: {counts} jobs, {len(paths)} queued expected\n{tail(log)}")
    load = os.getloadavg()
    say(f"{count} workers: add took {add_s:.1f} s; starting the workers (load average {load[0]:.2f})")
    workers = Workers(folder, env)
    _live_workers.append(workers)
    poller = Poller(catalogue)
    cpu_before = children_cpu()
    locks = LockSampler(pg_url) if pg_url else None
    try:
        with CpuSampler() as sampler, locks or contextlib.nullcontext():
            started_at = datetime.now(UTC)
            started = time.perf_counter()
            for _ in range(count):
                sampler.groups.add(workers.start(folder).pid)
            last_report = started
            while True:
                counts = poller.counts()
                if counts["done"] + counts["failed"] >= len(paths):
                    break
                now = time.perf_counter()
                if workers.dead():
                    raise SystemExit(f"worker(s) {workers.dead()} exited: {counts}\n{workers.logs()}")
                if now - started > timeout:
                    raise SystemExit(f"not done after {timeout:.0f} s: {counts}\n{workers.logs()}")
                if now - last_report >= 30:
                    say(f"  {now - started:.0f} s: {counts}")
                    last_report = now
                time.sleep(POLL)
            wall = time.perf_counter() - started
            listed = subprocess.run(
                evidence(
                    "--catalogue", str(folder), "jobs", "--all", "--json", "--limit", str(len(paths) + 10)
                ),
                env=env,
                capture_output=True,
                check=True,
            )
            workers.stop()
    finally:
        poller.close()
        workers.stop()
        _live_workers.remove(workers)
    report = json.loads(listed.stdout)
    jobs = report["jobs"]
    problems = check_items(catalogue, len(paths))
    if report["counts"] != {"queued": 0, "running": 0, "done": len(paths), "failed": 0}:
        problems.append(f"jobs: {report['counts']}")
    if report["waiting_in_queue"]:
        problems.append(f"{report['waiting_in_queue']} messages left in the queue")
    retaken = [f"{j['id']}: {j['attempts']}" for j in jobs if j["attempts"] != 1]
    if retaken:
        problems.append(f"jobs taken more than once: {', '.join(retaken)}")
    failed = [f"{j['id']}: {j['error']}" for j in jobs if j["state"] != "done"]
    if failed:
        problems.append(f"jobs not done: {'; '.join(failed[:5])}")
    durations = [
        (parse_time(j["finished_at"]) - parse_time(j["started_at"])).total_seconds()  # type: ignore[operator]
        for j in jobs
        if j["started_at"] and j["finished_at"]
    ]
    firsts = [parse_time(j["started_at"]) for j in jobs if j["started_at"]]
    lasts = [parse_time(j["finished_at"]) for j in jobs if j["finished_at"]]
    first_taken = (min(firsts) - started_at).total_seconds() if firsts else None  # type: ignore[type-var]
    last_done = (max(lasts) - started_at).total_seconds() if lasts else None  # type: ignore[type-var]
    per_worker: dict[str, int] = {}
    for j in jobs:
        per_worker[j["worker"]] = per_worker.get(j["worker"], 0) + 1
    return {
        "mode": "queue",
        "workers": count,
        "clips": len(paths),
        "wall_s": wall,
        "clips_per_min": len(paths) / wall * 60,
        "add_s": add_s,
        "median_job_s": statistics.median(durations) if durations else None,
        "start_s": first_taken,
        "last_finished_s": last_done,
        "jobs_per_worker": sorted(per_worker.values(), reverse=True),
        "load_before": load,
        "cpu_s": children_cpu() - cpu_before,
        "peak_cores": sampler.peak_cores(),
        "machine_cores": sampler.machine_cores(),
        "stop_s": workers.stop_seconds,
        "killed_groups": workers.killed,
        "worker_exit_codes": [p.returncode for p in workers.procs_stopped],
        "problems": problems,
        **(locks.figures(wall) if locks else {}),
    }


# --- output ---------------------------------------------------------------------------------------


def fmt(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


def table(results: list[dict[str, Any]]) -> str:
    one = next((r["clips_per_min"] for r in results if r["workers"] == 1), None)
    lines = [
        "| mode | workers | clips | wall s | clips/min | speed-up vs 1 worker | median job s | add s | "
        "start s | CPU s | peak cores | machine busy cores | load before |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        speed = f"{r['clips_per_min'] / one:.2f}x" if one else ""
        lines.append(
            f"| {r['mode']} | {r['workers'] or '-'} | {r['clips']} | {fmt(r['wall_s'])} | "
            f"{fmt(r['clips_per_min'])} | {speed} | {fmt(r['median_job_s'], 2)} | {fmt(r['add_s'])} | "
            f"{fmt(r['start_s'])} | {fmt(r['cpu_s'])} | {fmt(r['peak_cores'], 2)} | "
            f"{fmt(r['machine_cores'], 2)} | {r['load_before'][0]:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clips", type=int, default=24, help="distinct clips added (default 24)")
    parser.add_argument("--seconds", type=int, default=10, help="each clip's length (default 10)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4], help="worker counts (1 2 4)")
    parser.add_argument(
        "--pg-url", help="a PostgreSQL database, emptied before each run (never evidence_test)"
    )
    parser.add_argument("--no-inprocess", action="store_true", help="skip the in-process baseline")
    parser.add_argument(
        "--onto-scale",
        action="store_true",
        help="add into a copy of bench/scale.py's kept full-size catalogue (needs --pg-url)",
    )
    parser.add_argument("--timeout", type=float, default=3600.0, help="give a run up after this many s")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--keep", type=Path, help="make the catalogues and logs here and keep them")
    args = parser.parse_args()
    if args.clips < 1 or args.seconds < 1 or any(w < 1 for w in args.workers):
        parser.error("--clips, --seconds and --workers must be at least 1")
    if args.onto_scale:
        if not args.pg_url:
            parser.error("--onto-scale needs --pg-url (the database each run copies the catalogue into)")
        from scale import BUILT

        try:
            ONTO.update(json.loads(BUILT.read_text()))
        except (OSError, ValueError):
            parser.error("--onto-scale: no kept catalogue; build it first with bench/scale.py")

    def terminated(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, terminated)
    os.environ.pop("EVIDENCE_CATALOGUE", None)
    os.environ.pop("EVIDENCE_QUEUE_URL", None)
    if args.pg_url:
        os.environ["EVIDENCE_DATABASE_URL"] = args.pg_url  # for this process's reads of the catalogue
    else:
        os.environ.pop("EVIDENCE_DATABASE_URL", None)
    paths = clips(args.clips, args.seconds)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    root = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="evidence-bench-ingest-"))
    binary = redisserver.binary()
    if binary is None:
        raise SystemExit(redisserver.MISSING)
    redis = redisserver.start(binary)  # tests/redisserver.py: 127.0.0.1, a free port, nothing saved
    results: list[dict[str, Any]] = []
    say(
        f"{os.cpu_count()} CPUs, {len(paths)} clips of {args.seconds} s {SIZE[0]}x{SIZE[1]} {FPS} fps, "
        f"{'PostgreSQL' if args.pg_url else 'SQLite'}, redis on 127.0.0.1:{redis.port}, catalogues in {root}"
    )
    try:
        if not args.no_inprocess:
            results.append(in_process(paths, root, args.pg_url))
        for count in args.workers:
            results.append(queued(paths, count, root, args.pg_url, redis.new_url(), args.timeout))
    except KeyboardInterrupt:
        say("interrupted: stopping the workers and redis")
        raise SystemExit(130) from None
    finally:
        for workers in list(_live_workers):
            workers.stop()
        redis.stop()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(
        f"\n{os.cpu_count()} CPUs; {len(paths)} clips of {args.seconds} s, {SIZE[0]}x{SIZE[1]} {FPS} fps "
        f"H.264; {'PostgreSQL' if args.pg_url else 'SQLite'}; W workers = W processes of `evidence worker "
        "--concurrency 1`\n"
    )
    print(table(results))
    extra = [r for r in results if r["mode"] == "queue"]
    for r in extra:
        print(
            f"\n{r['workers']} workers: jobs a worker {r['jobs_per_worker']}, last job finished "
            f"{fmt(r['last_finished_s'])} s after the first worker started, workers stopped in "
            f"{fmt(r['stop_s'])} s (exit codes {r['worker_exit_codes']}, {r['killed_groups']} killed)",
            end="",
        )
        if "lock_holds" in r:
            print(
                f"; the write lock held {r['lock_holds']} times (median {fmt(r['lock_hold_median_ms'])} ms, "
                f"p95 {fmt(r['lock_hold_p95_ms'])} ms, max {fmt(r['lock_hold_max_ms'])} ms, "
                f"{fmt((r['lock_held_share'] or 0) * 100)} % of the run), {r['lock_waits']} waits for it "
                f"(longest {fmt(r['lock_wait_max_ms'])} ms)",
                end="",
            )
    print()
    bad = [(r["mode"], r["workers"], p) for r in results for p in r["problems"]]
    for mode, workers, problem in bad:
        print(f"PROBLEM ({mode}, {workers or '-'} workers): {problem}")
    if not bad:
        print("checks: every job done once, none failed, one analyse event per item, every item analysed ok")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "host": platform.node(),
                    "cpu_count": os.cpu_count(),
                    "clips": len(paths),
                    "seconds": args.seconds,
                    "size": list(SIZE),
                    "fps": FPS,
                    "backend": "postgresql" if args.pg_url else "sqlite",
                    "onto": {k: ONTO[k] for k in ("items", "fingerprints", "last_item")} if ONTO else None,
                    "results": results,
                },
                indent=2,
            )
            + "\n"
        )
    if bad:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
