"""How far apart copies and unrelated footage are on the descriptor's two measures, per edit family:
similarity (the mean of each pair's three best frame pairs) and specificity (their median; see
`evidence.core.descriptor_pairs.pairs_of`). Reads a catalogue kept by `run.py --keep DIR` (its stored
descriptors, one a second) and the suite's ground truth; prints the distributions for true pairs
(a copy and its source) and for unrelated pairs (a copy and every other source of its content family),
so thresholds can be chosen on the tune half and checked, never tuned, on the held-out half.

    .venv/bin/python bench/dupes/descriptor_study.py /tmp/keep/tune tune [--content night]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from sources import EXTRA_TUNES, FAMILIES, HALVES, cache_of
from sqlalchemy import select

from evidence.catalogue.descriptors import descriptors_of
from evidence.catalogue.engine import Database
from evidence.catalogue.models import Acquisition
from evidence.core.descriptor_match import DescriptorParams
from evidence.core.descriptor_pairs import pairs_of
from evidence.media import sscd

Described = tuple[list[float], np.ndarray]


def stats(query: Described, target: Described) -> tuple[float, float]:
    """(similarity, specificity) of the best-matching query frames of a pair of items."""
    times, vectors = query
    pairs = pairs_of(vectors, times, {0: target}, DescriptorParams(pair=-1.0))
    best: dict[int, tuple[float, float]] = {}
    for p in pairs:
        if p.query not in best or p.similarity > best[p.query][0]:
            best[p.query] = (p.similarity, p.specificity)
    top = sorted(best.values(), reverse=True)[:3]
    if not top:
        return 0.0, 0.0
    return float(np.mean([s for s, _ in top])), float(np.median([c for _, c in top]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("catalogue", type=Path, help="a half's kept catalogue folder (holds .evidence/)")
    parser.add_argument("half", choices=(*HALVES, *EXTRA_TUNES))
    parser.add_argument("--content", choices=FAMILIES, help="only copies of sources of this content family")
    args = parser.parse_args()
    suite = json.loads((cache_of(args.half) / "suite.json").read_text())
    half = suite["halves"][args.half] if "halves" in suite else suite[args.half]
    db = Database(f"sqlite:///{args.catalogue / '.evidence' / 'catalogue.sqlite'}")
    with db.read() as session:
        rows = session.execute(select(Acquisition.item_id, Acquisition.original_name))
        names = {Path(name).stem: item for item, name in rows}
        algorithm = (sscd.ALGORITHM, sscd.VERSION)
        described = descriptors_of(session, set(names.values()), algorithm)
    family_of = {s: s.rstrip("0123456789") for s in half["sources"]}
    true: dict[str, list[tuple[float, float]]] = defaultdict(list)
    false: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for copy in half["copies"]:
        sources = {span["source"] for span in copy["spans"]}
        if len(sources) != 1 or copy["clip"] not in names:
            continue
        (source,) = sources
        if args.content and family_of[source] != args.content:
            continue
        query = described[names[copy["clip"]]]
        true[copy["transform"]].append(stats(query, described[names[source]]))
        for other, family in family_of.items():
            if other != source and family == family_of[source] and other in names:
                false[copy["transform"]].append(stats(query, described[names[other]]))
    print(
        f"{'edit family':18} {'true: sim p10/p50':>18} {'spec p10/p50':>13}   {'false: sim p90/max':>19}",
        end="",
    )
    print(f" {'spec p90/max':>13}")
    for family in sorted(true):
        t, f = np.array(true[family]), np.array(false[family] or [(0.0, 0.0)])
        print(
            f"{family:18} {np.percentile(t[:, 0], 10):9.2f}/{np.median(t[:, 0]):.2f}"
            f" {np.percentile(t[:, 1], 10):8.2f}/{np.median(t[:, 1]):.2f}"
            f"   {np.percentile(f[:, 0], 90):12.2f}/{f[:, 0].max():.2f}"
            f" {np.percentile(f[:, 1], 90):8.2f}/{f[:, 1].max():.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
