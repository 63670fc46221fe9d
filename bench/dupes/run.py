"""Near-duplicate benchmark (suite v3): `evidence dupes` and `evidence match` on each half of the suite.

    python bench/dupes/run.py [--half tune|held-out|both] [--out FILE] [--keep DIR] [--dry-run]

Generates the suite once (`transforms.build_suite`, cached in `bench/.cache/dupes/v3/`). Each half is
scored on its own, in its own fresh catalogue: add its sources, copies (compilations among them) and
distractors (`evidence add FOLDER --json`, one call each), read `evidence dupes --json`, score it
pairwise, then `evidence match FILE --json` each compilation.

- related pairs: a source with each of its copies, and copies of one source with each other
  (excerpts, re-edits and longer cuts included); compilations and distractors relate to nothing and
  must not share a cluster with anything;
- printed per half: pairwise precision and recall; per edit family the recall over its related pairs,
  the share of its copies clustered with their source, the precision of the pairs it is in and how
  `add` classified the copy against its source; the same per content family; the copies outside
  their source's cluster (`strays`, also in the JSON); each compilation piece
  (found as `partial`/`contains`, a segment at the right place, offset within `OFFSET_TOLERANCE`, or
  the true offset within the range of offsets the segment says its pictures fit: a still stretch).

`--dry-run` scores the ideal answer built from the ground truth (to check the scorer). Exit status 1
when a target fails on the held-out half (the tune half's targets are printed, never counted).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sources import EXTRA_TUNES, FAMILIES, HALVES, SUITE_VERSION, cache_of
from transforms import FAMILIES_OF_EDITS, Suite, Truth, build_suite

OFFSET_TOLERANCE: Final = 0.5  # seconds
PIECE_KINDS: Final = ("partial", "contains")
TARGETS: Final = {"precision": 1.0, "recall": 0.95, "family_recall": 0.90}
Pair = frozenset[str]


@dataclass(frozen=True, slots=True)
class GroundTruth:
    files: dict[str, Path]  # clip id -> path
    related: set[Pair]
    source_of: dict[str, str]  # single-source copy id -> its source id
    edit_of: dict[str, str]  # copy id -> edit family
    content_of: dict[str, str]  # source or single-source copy id -> content family
    distractors: set[str]
    compilations: dict[str, Truth]


def ground_truth(suite: Suite, half: str) -> GroundTruth:
    h = suite.halves[half]
    groups: dict[str, set[str]] = {s: {s} for s in h["sources"]}
    source_of, edit_of, content_of, compilations = {}, {}, {}, {}
    for c in h["copies"]:
        edit_of[c.clip] = c.transform
        if c.transform == "compilation":
            compilations[c.clip] = c
            continue
        (source,) = c.sources
        groups[source].add(c.clip)
        source_of[c.clip] = source
        content_of[c.clip] = content_of[source] = c.family
    related = {frozenset(p) for g in groups.values() for p in itertools.combinations(sorted(g), 2)}
    return GroundTruth(
        suite.files(half), related, source_of, edit_of, content_of, set(h["distractors"]), compilations
    )


@dataclass(slots=True)
class Score:
    precision: float
    recall: float
    predicted: int
    true: int
    false_pairs: list[Pair]
    per_edit: dict[str, dict[str, Any]]
    per_content: dict[str, dict[str, Any]]
    strays: list[str] = field(default_factory=list)  # single-source copies outside their source's cluster
    pieces: list[dict[str, Any]] = field(default_factory=list)
    checks: list[tuple[bool, str]] = field(default_factory=list)


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def score_clusters(truth: GroundTruth, clusters: Iterable[Sequence[str]]) -> Score:
    predicted = {frozenset(p) for c in clusters for p in itertools.combinations(sorted(set(c)), 2)}
    hits = predicted & truth.related

    def breakdown(key_of: dict[str, str], keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        out = {}
        for key in keys:
            related = {p for p in truth.related if any(key_of.get(x) == key for x in p)}
            mine = {p for p in predicted if any(key_of.get(x) == key for x in p)}
            out[key] = {
                "recall": _ratio(len(related & predicted), len(related)),
                "precision": _ratio(len(mine & truth.related), len(mine)) if mine else 1.0,
                "related_pairs": len(related),
                "predicted_pairs": len(mine),
            }
        return out

    per_edit = breakdown(truth.edit_of, FAMILIES_OF_EDITS)
    with_source = {c for c, s in truth.source_of.items() if frozenset((c, s)) in predicted}
    for edit in FAMILIES_OF_EDITS:
        copies = [c for c, e in truth.edit_of.items() if e == edit and c in truth.source_of]
        joined = sum(c in with_source for c in copies)
        per_edit[edit] |= {"with_source": _ratio(joined, len(copies)), "copies": len(copies)}
    return Score(
        precision=len(hits) / len(predicted) if predicted else 1.0,
        recall=len(hits) / len(truth.related) if truth.related else 1.0,
        predicted=len(predicted),
        true=len(truth.related),
        false_pairs=sorted(predicted - truth.related, key=sorted),
        per_edit=per_edit,
        per_content=breakdown(truth.content_of, FAMILIES),
        strays=sorted(set(truth.source_of) - with_source),
    )


def check_compilation(
    comp: Truth, matches: Sequence[dict[str, Any]], id_of: dict[str, str], truth: GroundTruth
) -> tuple[list[dict[str, Any]], list[str]]:
    """Each 2 s piece: its source found as `partial`/`contains` with a segment at the right offset.
    Returns the pieces and the unrelated items matched (neither a piece's source nor its copy)."""
    found: dict[str, dict[str, Any]] = {}
    for m in matches:
        found.setdefault(id_of.get(m.get("sha256", ""), "?"), m)
    pieces = []
    for span in comp.spans:
        want = span.source_start - span.query_start
        match = found.get(span.source)
        piece: dict[str, Any] = {
            "compilation": comp.clip,
            "source": span.source,
            "want_offset": round(want, 3),
        }
        if match is None:
            pieces.append(
                piece
                | {
                    "ok": False,
                    "classification": None,
                    "offsets": [],
                    "segment": False,
                    "named_offset": False,
                    "ranges": [],
                }
            )
            continue
        kind = match.get("classification")
        offsets = [float(o) for o in match.get("offsets", [])]
        here = [
            s
            for s in match.get("segments", [])
            if s["query_start"] < span.query_end and s["query_end"] > span.query_start
        ]
        named = any(abs((s["target_start"] - s["query_start"]) - want) <= OFFSET_TOLERANCE for s in here)
        # where the pictures fit a range of offsets (a still stretch), the segment says so: the offset
        # it names is one choice, and the piece is placed when the true one is within the range
        ranges = [s["offset_range"] for s in here if s.get("offset_range")]
        ranged = any(lo - OFFSET_TOLERANCE <= want <= hi + OFFSET_TOLERANCE for lo, hi in ranges)
        segment_ok = named or ranged
        offset_ok = any(abs(o - want) <= OFFSET_TOLERANCE for o in offsets) or ranged
        ok = kind in PIECE_KINDS and segment_ok and offset_ok
        pieces.append(
            piece
            | {
                "ok": ok,
                "classification": kind,
                "offsets": offsets,
                "segment": segment_ok,
                "named_offset": named,
                "ranges": ranges,
            }
        )
    allowed = set(comp.sources)
    strangers = [c for c in found if c not in allowed and truth.source_of.get(c) not in allowed]
    return pieces, strangers


def ideal_match(comp: Truth, sha_of: dict[str, str]) -> list[dict[str, Any]]:
    """What a perfect `evidence match` would say about a compilation (for --dry-run)."""
    out = []
    for s in comp.spans:
        segment = {"query_start": s.query_start, "query_end": s.query_end}
        segment |= {"target_start": s.source_start, "target_end": s.source_end}
        out.append(
            {
                "sha256": sha_of[s.source],
                "classification": "partial",
                "offsets": [s.source_start - s.query_start],
                "segments": [segment],
            }
        )
    return out


# ---------------------------------------------------------------- the command line


class Cli:
    def __init__(self, catalogue: Path) -> None:
        self.catalogue = catalogue
        self.env = {**os.environ, "EVIDENCE_ACTOR": "bench"}
        for name in ("EVIDENCE_DATABASE_URL", "EVIDENCE_CATALOGUE", "EVIDENCE_DEBUG"):
            self.env.pop(name, None)

    def run(self, *args: str, catalogue: bool = True) -> tuple[int, Any, str]:
        command = [sys.executable, "-m", "evidence"]
        command += ["--catalogue", str(self.catalogue)] if catalogue else []
        done = subprocess.run([*command, *args], capture_output=True, text=True, env=self.env)
        try:
            document = json.loads(done.stdout) if done.stdout.strip() else None
        except json.JSONDecodeError:
            document = None
        return done.returncode, document, done.stderr.strip()

    def json(self, *args: str) -> Any:
        code, document, err = self.run(*args, "--json")
        if document is None or code not in (0, 3):
            last = err.splitlines()[-1] if err else ""
            raise SystemExit(f"evidence {' '.join(args)} --json failed (exit {code}): {last}")
        return document


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_half(suite: Suite, half: str, *, dry_run: bool, keep: Path | None) -> tuple[Score, dict[str, Any]]:
    truth = ground_truth(suite, half)
    sha_of = {clip: sha256(path) for clip, path in truth.files.items()}
    id_of = {sha: clip for clip, sha in sha_of.items()}
    timings: dict[str, float] = {}
    if dry_run:
        groups: dict[str, list[str]] = defaultdict(list)
        for copy, source in truth.source_of.items():
            groups[source].append(copy)
        score = score_clusters(truth, [[s, *cs] for s, cs in groups.items()])
        matches = {c: ideal_match(comp, sha_of) for c, comp in truth.compilations.items()}
        kinds: dict[str, Counter[str]] = {}
        clusters: list[list[str]] = [[s, *cs] for s, cs in groups.items()]
    else:
        work = keep / half if keep else Path(tempfile.mkdtemp(prefix=f"evidence-dupes-{half}-"))
        try:
            cli = Cli(work)
            code, _doc, err = cli.run("init", str(work), catalogue=False)
            if code:
                raise SystemExit(f"evidence init failed (exit {code}): {err}")
            added: dict[str, dict[str, Any]] = {}
            for folder in ("sources", "copies", "distractors"):
                started = time.perf_counter()
                document = cli.json("add", str(suite.folder / half / folder))
                for result in document["results"]:
                    added[id_of.get(result.get("sha256", ""), result.get("path", "?"))] = result
                timings[f"add {folder}"] = round(time.perf_counter() - started, 1)
                log(f"{half}: add {folder}: {len(document['results'])} files in {timings[f'add {folder}']} s")
            started = time.perf_counter()
            clusters = [
                [id_of.get(m["sha256"], m["sha256"][:12]) for m in c] for c in cli.json("dupes")["clusters"]
            ]
            timings["dupes"] = round(time.perf_counter() - started, 1)
            failed = [k for k, r in added.items() if r.get("status") == "failed" or r.get("analysis") != "ok"]
            score = score_clusters(truth, clusters)
            listed = f"{len(failed)} failed: {', '.join(failed[:5])}{' ...' if len(failed) > 5 else ''}"
            score.checks.append((not failed, f"every file added and analysed: {listed if failed else 'yes'}"))
            matches = {}
            started = time.perf_counter()
            for comp in truth.compilations:
                matches[comp] = cli.json("match", str(truth.files[comp]))["matches"]
            timings["match compilations"] = round(time.perf_counter() - started, 1)
            kinds = classifications(truth, added, sha_of)
        finally:
            if keep is None:
                shutil.rmtree(work, ignore_errors=True)
    strangers_of = {}
    for comp_id, comp in truth.compilations.items():
        pieces, strangers = check_compilation(comp, matches[comp_id], id_of, truth)
        score.pieces += pieces
        strangers_of[comp_id] = strangers
    targets(score, truth, clusters, strangers_of)
    detail = {
        "strays": score.strays,
        "false_pair_kinds": [false_kind(truth, p) for p in score.false_pairs],
        "timings_s": timings,
        "classification_by_add": {k: dict(v) for k, v in kinds.items()},
        "compilation_strangers": strangers_of,
        "clusters": clusters,
    }
    return score, detail


def false_kind(truth: GroundTruth, pair: Pair) -> str:
    """What a false pair joins: a compilation, a distractor, or copies of two different sources."""
    if any(x in truth.compilations for x in pair):
        return "with a compilation"
    if any(x in truth.distractors for x in pair):
        return "with a distractor"
    return "different sources"


def targets(
    score: Score, truth: GroundTruth, clusters: list[list[str]], strangers: dict[str, list[str]]
) -> None:
    checks = [
        (
            score.precision >= TARGETS["precision"],
            f"precision {score.precision:.3f} >= {TARGETS['precision']}",
        ),
        (score.recall >= TARGETS["recall"], f"recall {score.recall:.3f} >= {TARGETS['recall']}"),
    ]
    need = TARGETS["family_recall"]
    for name, table in (("edit", score.per_edit), ("content", score.per_content)):
        low = {
            k: round(v["recall"], 3)
            for k, v in table.items()
            if v["recall"] is not None and v["recall"] < need
        }
        checks.append((not low, f"recall >= {need} in every {name} family: {low or 'yes'}"))
    found = sum(p["ok"] for p in score.pieces)
    named = sum(p["ok"] and p["named_offset"] for p in score.pieces)
    checks.append(
        (
            found == len(score.pieces),
            f"compilation pieces found at their offset: {found}/{len(score.pieces)}"
            f" ({named} at the offset named, {found - named} within a stated range)",
        )
    )
    lost = {c: s for c, s in strangers.items() if s}
    checks.append((not lost, f"compilations match nothing unrelated: {lost or 'yes'}"))
    loners = truth.distractors | set(truth.compilations)
    joined = sorted({x for c in clusters for x in c if x in loners and len(set(c)) > 1})
    checks.append((not joined, f"no distractor or compilation in a cluster: {joined or 'yes'}"))
    score.checks = checks + score.checks


def classifications(
    truth: GroundTruth, added: dict[str, dict[str, Any]], sha_of: dict[str, str]
) -> dict[str, Counter[str]]:
    """Per edit family: how `add` classified each copy against its own source ('-' when not listed)."""
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    for copy, source in truth.source_of.items():
        near = added.get(copy, {}).get("near_duplicates", [])
        found = [n.get("classification", "?") for n in near if n.get("sha256") == sha_of[source]]
        kinds[truth.edit_of[copy]][found[0] if found else "-"] += 1
    for comp in truth.compilations.values():
        near = {
            n.get("sha256"): n.get("classification", "?")
            for n in added.get(comp.clip, {}).get("near_duplicates", [])
        }
        for source in comp.sources:
            kinds["compilation"][near.get(sha_of[source], "-")] += 1
    return kinds


def _fmt(x: float | None) -> str:
    return "   -" if x is None else f"{x:.2f}"


def report(half: str, score: Score, detail: dict[str, Any], truth_size: str) -> bool:
    kinds = detail["classification_by_add"]
    print(f"\n=== {half} half: {truth_size}")
    print(
        f"pairs: {score.predicted} predicted, {score.true} true; "
        f"precision {score.precision:.3f}, recall {score.recall:.3f}"
    )
    kinds_of_false = Counter(detail["false_pair_kinds"])
    if kinds_of_false:
        print("false pairs: " + ", ".join(f"{k} {v}" for k, v in kinds_of_false.most_common()))
    for pair in score.false_pairs[:12]:
        print(f"  false pair: {' ~ '.join(sorted(pair))}")
    if len(score.false_pairs) > 12:
        print(f"  ... {len(score.false_pairs) - 12} more false pairs")
    print(
        f"\n{'edit family':<18}{'recall':>7}{'w/src':>7}{'prec':>7}"
        "  classification by add (copy vs its source)"
    )
    for name, row in score.per_edit.items():
        seen = ", ".join(f"{k} {v}" for k, v in sorted(kinds.get(name, {}).items()))
        print(
            f"{name:<18}{_fmt(row['recall']):>7}{_fmt(row['with_source']):>7}"
            f"{_fmt(row['precision']):>7}  {seen}"
        )
    print(f"\n{'content family':<18}{'recall':>7}{'':>7}{'prec':>7}")
    for name, row in score.per_content.items():
        print(f"{name:<18}{_fmt(row['recall']):>7}{'':>7}{_fmt(row['precision']):>7}")
    stray = detail["strays"]
    listed = f" ({', '.join(stray)})" if stray else ""
    print(f"\ncopies outside their source's cluster: {len(stray)}{listed}")
    print("\ncompilation pieces")
    for p in score.pieces:
        print(
            f"  {'ok  ' if p['ok'] else 'MISS'} {p['compilation']:<18} {p['source']:<11} "
            f"as {p['classification']}, offsets {[round(o, 2) for o in p['offsets']]} "
            f"(want {p['want_offset']:+.2f}), segment {p['segment']}"
            + ("" if p["named_offset"] or not p["ok"] else f", within the stated range {p['ranges']}")
        )
    print(f"\ntargets ({half}{'' if half == 'held-out' else ', not counted'})")
    for ok, text in score.checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")
    return all(ok for ok, _ in score.checks)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--half", choices=(*HALVES, "both", *EXTRA_TUNES), default="both")
    parser.add_argument("--out", type=Path, help="write the results as JSON to this file")
    parser.add_argument("--keep", type=Path, help="build the catalogues in this (new) folder and keep them")
    parser.add_argument("--dry-run", action="store_true", help="score the ideal answer; no command line")
    args = parser.parse_args()

    started = time.perf_counter()
    if args.half in EXTRA_TUNES:
        suite = build_suite(cache_of(args.half), log=log, halves=(args.half,))
    else:
        suite = build_suite(log=log)
    log(f"suite ready in {time.perf_counter() - started:.1f} s")
    halves = HALVES if args.half == "both" else (args.half,)
    results: dict[str, Any] = {"suite_version": SUITE_VERSION, "dry_run": args.dry_run, "halves": {}}
    passed = True
    for half in halves:
        started = time.perf_counter()
        score, detail = run_half(suite, half, dry_run=args.dry_run, keep=args.keep)
        h = suite.halves[half]
        size = (
            f"{len(h['sources'])} sources, {len(h['copies'])} copies, {len(h['distractors'])} distractors, "
            f"{score.true} related pairs"
        )
        ok = report(half, score, detail, size)
        passed = passed and (ok or half != "held-out")
        results["halves"][half] = {
            "precision": score.precision,
            "recall": score.recall,
            "predicted_pairs": score.predicted,
            "related_pairs": score.true,
            "false_pairs": [sorted(p) for p in score.false_pairs],
            "per_edit": score.per_edit,
            "per_content": score.per_content,
            "compilation_pieces": score.pieces,
            "checks": [{"ok": ok, "check": text} for ok, text in score.checks],
            "passed": ok,
            "seconds": round(time.perf_counter() - started, 1),
            **detail,
        }
        log(f"{half}: scored in {time.perf_counter() - started:.1f} s")
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
