"""`evidence serve` on a catalogue of 10,000 items: how long its pages take (issue 14: p95 within 150 ms).

A catalogue is made on each backend: one real clip added as `evidence add` adds it (frames, thumbnails,
fingerprints), tagged and claimed through the use cases, then 9,999 generated items with an acquisition
each (a name, a source URL, a posting date), a keyframe each (sharing the real clip's thumbnail), a
tag on every third one and 2,000 suggested duplicate pairs among them, written through the real schema
(records only: no media), and an analyst's account. The server runs as a user runs it (`python -m
evidence serve`, its own process); the bench logs in as the analyst (so every page checks the session
and renders the forms an analyst sees), and each page is asked for `--runs` times after three warm-up
requests, one request at a time over a fresh connection:

    .venv/bin/python bench/serve.py [--backend sqlite|postgresql|both] [--pg-url URL] [--items N]
        [--runs N] [--keep DIR]

PostgreSQL: `--pg-url` or `EVIDENCE_BENCH_DATABASE_URL` (its public schema is emptied first).
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import func, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from mediagen import make_video

from evidence.accounts.users import add_user
from evidence.annotation.claims import record_claim
from evidence.annotation.tags import tag
from evidence.catalogue.annotation_models import Annotation
from evidence.catalogue.models import Acquisition, Frame, Item, Relation
from evidence.catalogue.vocab import load as load_vocabulary
from evidence.core.timeutil import parse_instant
from evidence.ingest.add import AddOptions, add_paths
from evidence.workspace import init_workspace, open_workspace

ACTOR = "bench"
TARGET_MS = 150.0
RELATIONS = 2000  # suggested duplicate pairs among the generated items: 2,000 groups of two
ANALYST, SECRET = "ana", "bench password 1"


def build(folder: Path, url: str | None, items: int) -> None:
    init_workspace(folder / ".evidence", database_url=url, actor=ACTOR)
    if url:
        os.environ["EVIDENCE_DATABASE_URL"] = url  # where the commands find a PostgreSQL catalogue
    else:
        os.environ.pop("EVIDENCE_DATABASE_URL", None)
    clip = make_video(folder / "palmyra.mp4", seconds=8.0, fps=25, size=(640, 360), scenes=4, seed=7)
    with open_workspace(folder / ".evidence") as ws:
        add_paths(
            ws,
            [clip],
            AddOptions(actor=ACTOR, source_url="https://t.me/amaq/1", posted_at=parse_instant("2016-03-24")),
        )
        add_user(ws, ANALYST, "analyst", SECRET, actor=ACTOR)
        tag(ws, "1", "helmet", note="on the left", actor=ACTOR)
        record_claim(
            ws, ["1"], claimant="Amaq", text="five soldiers near Palmyra", place="Palmyra", actor=ACTOR
        )
        with ws.db.write() as session:
            thumbnail = session.scalar(select(Frame.thumbnail).where(Frame.thumbnail.is_not(None)).limit(1))
            helmet = next(iter(load_vocabulary(session).lookup("helmet")))
            first = (session.scalar(select(func.max(Item.id))) or 0) + 1
            now = datetime.now(UTC)
            ids = range(first, first + items - 1)
            session.execute(
                insert(Item),
                [
                    {"id": i, "sha256": f"{i:064x}", "size": 1_000_000 + i, "kind": "video",
                     "mime": "video/mp4", "first_catalogued_at": now, "analysis": "ok",
                     "probe": {"duration": 30.0 + i % 90}}
                    for i in ids
                ],
            )  # fmt: skip
            session.execute(
                insert(Acquisition),
                [
                    {"item_id": i, "original_name": f"clip-{i}.mp4",
                     "original_path": f"/incoming/clip-{i}.mp4", "source_url": f"https://example.org/post/{i}",
                     "posted_at": now - timedelta(days=i % 3000), "posted_at_precision": "day",
                     "captured_at": now, "tool_version": "bench"}
                    for i in ids
                ],
            )  # fmt: skip
            session.execute(
                insert(Frame),
                [
                    {"item_id": i, "idx": 0, "pts": "0/1", "t": 0.0, "sampled": True, "keyframe": "first",
                     "thumbnail": thumbnail}
                    for i in ids
                ],
            )  # fmt: skip
            pairs = [(i, i + 1) for i in range(first + 1, first + items - 2, 2)][:RELATIONS]
            session.execute(
                insert(Relation),
                [
                    {"a_id": a, "b_id": b, "kind": "duplicate", "score": 0.5 + (a % 50) / 100,
                     "matcher": "bench", "created_at": now,
                     "evidence": {"query_share": 1.0, "target_share": 1.0, "via": ["canonical"]}}
                    for a, b in pairs
                ],
            )  # fmt: skip
            session.execute(
                insert(Annotation),
                [
                    {"item_id": i, "term_id": helmet, "t_start": 1.0, "annotator": ACTOR, "source": "manual",
                     "created_at": now}
                    for i in ids
                    if i % 3 == 0
                ],
            )  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def log_in(port: int) -> str:
    """The analyst's session cookie, got as a browser gets it (the login form, then its POST)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", "/login")
    response = connection.getresponse()
    page = response.read().decode()
    login_cookie = response.getheader("Set-Cookie", "").split(";")[0]
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    if token is None:
        raise SystemExit("no login form")
    form = urlencode({"csrf": token.group(1), "name": ANALYST, "password": SECRET, "next": "/"})
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": login_cookie}
    connection.request("POST", "/login", body=form, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 303:
        raise SystemExit(f"login: {response.status}")
    return response.getheader("Set-Cookie", "").split(";")[0]


def timed(port: int, path: str, session: str) -> float:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", path, headers={"Cookie": session})
    response = connection.getresponse()
    body = response.read()
    took = (time.perf_counter() - started) * 1000
    connection.close()
    if response.status != 200:
        raise SystemExit(f"GET {path}: {response.status} {body[:300]!r}")
    return took


def measure(label: str, folder: Path, url: str | None, runs: int, items: int) -> list[str]:
    env = {**os.environ, "EVIDENCE_ACTOR": ACTOR}
    env.pop("EVIDENCE_DATABASE_URL", None)
    if url:
        env["EVIDENCE_DATABASE_URL"] = url
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "evidence",
            "--catalogue",
            str(folder / ".evidence"),
            "serve",
            "--port",
            str(port),
        ],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = server.stderr.readline() if server.stderr else ""
        if not re.search(r"serving .* at http://", line):
            raise SystemExit(f"evidence serve did not start: {line}")
        pages = {
            "item list, first page": "/",
            "item list, page 100 (items 5,941-6,000)": "/?page=100",
            "item page (the real clip: 5 keyframes, tags, a claim, provenance)": "/items/1",
            "item page (a generated item)": f"/items/{items // 2}",
            "search by tag (`helmet`: 3,334 items), first page": "/?tag=helmet",
            "search by text (`clip-77`: 111 items)": "/?text=clip-77",
            "review queue, first page (2,000 suggestions)": "/review",
            "groups of copies (2,000 groups)": "/clusters",
            "term autocomplete (`комп`)": "/terms.json?q=%D0%BA%D0%BE%D0%BC%D0%BF",
        }
        session = log_in(port)
        rows = []
        for name, path in pages.items():
            for _ in range(3):
                timed(port, path, session)
            times = sorted(timed(port, path, session) for _ in range(runs))
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            verdict = "met" if p95 <= TARGET_MS else "NOT met"
            rows.append(f"| {label} | {name} | {statistics.median(times):.1f} | {p95:.1f} | {verdict} |")
            print(rows[-1], flush=True)
        return rows
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg-url", default=os.environ.get("EVIDENCE_BENCH_DATABASE_URL"))
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--keep", type=Path, help="build the SQLite catalogue in this new folder and keep it")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    rows = ["| backend | page | median ms | p95 ms | p95 ≤ 150 ms |", "|---|---|---|---|---|"]
    for backend in backends:
        url = None
        if backend == "postgresql":
            if not args.pg_url:
                print("PostgreSQL: skipped (no --pg-url or EVIDENCE_BENCH_DATABASE_URL)", file=sys.stderr)
                continue
            url = args.pg_url
            from sqlalchemy import create_engine

            engine = create_engine(url)
            with engine.begin() as connection:
                connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public"))
            engine.dispose()
        with tempfile.TemporaryDirectory(prefix="evidence-bench-serve-") as scratch:
            work = args.keep if args.keep and backend == "sqlite" else Path(scratch)
            work.mkdir(parents=True, exist_ok=True)
            started = time.perf_counter()
            build(Path(work), url, args.items)
            print(
                f"{backend}: {args.items} items built in {time.perf_counter() - started:.1f} s",
                file=sys.stderr,
            )
            rows += measure(
                "SQLite" if backend == "sqlite" else "PostgreSQL", Path(work), url, args.runs, args.items
            )
    print("\n".join(rows))


if __name__ == "__main__":
    main()
