"""`evidence verify --deep`: re-derive what analysis made from the preserved originals and compare.

Plain `verify` proves that the frames, fingerprints, probe and summary are what the analysis events
recorded. `--deep` also proves they are what the originals give: each analysed item is analysed again
in the isolated worker, with the options its newest analysis used, and the digest of the frames and
fingerprints (thumbnails included, by their SHA-256), the probe and the summary are compared with the
stored ones. The similarity index is compared with the fingerprints it is built from. A difference is
a problem (exit 5); when the decoders' versions changed since the item was analysed the message says
so (an honest difference, which `evidence analyze` resolves by re-deriving with this version; whoever
could forge the record could also forge the versions, so it is never only a warning).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from evidence.analysis.options import AnalysisOptions
from evidence.analysis.pipeline import Derivation, analyser_versions, derive
from evidence.analysis.worker import Worker
from evidence.catalogue import custody, hashindex, record_state
from evidence.catalogue.models import Item
from evidence.core.custody import CustodyAction
from evidence.core.record_digest import canonical
from evidence.errors import IntegrityFailure
from evidence.workspace import Workspace

ProblemFn = Callable[[str, str, str], None]  # kind, subject, message


@dataclass(frozen=True, slots=True)
class Recorded:
    """What an item's newest analysis event says about how it was analysed."""

    options: AnalysisOptions
    status: str
    versions: dict[str, str] | None
    derived: str | None


def _newest_analyses(ws: Workspace) -> dict[str, Recorded]:
    """By item subject ("item:<sha256>"), the newest analysis event's options and digests."""
    found: dict[str, Recorded] = {}
    with ws.db.read() as session:
        for event in custody.records(session):
            if event.action != CustodyAction.ANALYSE:
                continue
            d = event.details
            derived = d.get("derived") if isinstance(d.get("derived"), dict) else {}
            options = AnalysisOptions(
                quick=d.get("mode") == "quick", sample_interval=str(d.get("sample_interval") or "1")
            )
            versions = d.get("analyser") if isinstance(d.get("analyser"), dict) else None
            digest = next(iter(derived.values()), None) if derived else None
            found[event.subject] = Recorded(options, str(d.get("status", "")), versions, digest)
    return found


def _same_json(a: Any, b: Any) -> bool:
    """Equal as the catalogue's JSON columns and record digests see them (`core.record_digest.canonical`)."""
    return bool(canonical(a) == canonical(b))


def _items(ws: Workspace) -> Iterator[tuple[int, str, str, int, Any, Any]]:
    with ws.db.read() as session:
        rows = session.execute(
            select(Item.id, Item.sha256, Item.declared_ext, Item.size, Item.probe, Item.summary).order_by(
                Item.id
            )
        ).all()
    yield from (tuple(row) for row in rows)  # type: ignore[misc]


def rederive(ws: Workspace, *, problem: ProblemFn) -> int:
    """Analyse every analysed item again and compare; check the similarity index. Returns how many
    items were re-derived."""
    recorded = _newest_analyses(ws)
    current = analyser_versions()
    count = 0
    with Worker() as worker:
        for item_id, sha, declared_ext, size, probe, summary in _items(ws):
            subject = f"item:{sha}"
            past = recorded.get(subject)
            if past is None or not (past.status == "ok" or (past.status == "pending" and past.options.quick)):
                continue  # never analysed, or its analysis failed: nothing to re-derive
            try:
                again = derive(ws, worker, sha, declared_ext, size, past.options)
            except IntegrityFailure:
                continue  # its original is missing: the object check has reported it
            count += 1
            differences = _differences(past, again, probe, summary)
            if not differences:
                continue
            why = "the derived data was changed, or the record of it forged"
            if past.versions is not None and past.versions != current:
                changed = ", ".join(sorted(k for k in current if past.versions.get(k) != current[k]))
                why = (
                    f"{changed} changed since it was analysed: `evidence analyze {item_id}` re-derives it; "
                    "else the derived data was changed or its record forged"
                )
            problem(
                "rederived-differs",
                subject,
                f"item {item_id} ({sha}): analysing the original again gives different "
                f"{', '.join(differences)} than the catalogue holds ({why})",
            )
    _check_index(ws, problem)
    return count


def _differences(past: Recorded, again: Derivation, probe: Any, summary: Any) -> list[str]:
    found = []
    if str(again.status) != past.status:
        found.append(f"analysis {again.status} instead of {past.status}")
    if past.derived is not None and record_state.derived_from(again.frames) != past.derived:
        found.append("frames or fingerprints")
    if again.probed is not None and not _same_json(again.probed.metadata or {}, probe or {}):
        found.append("probe")
    if again.media is not None and not again.media.error and not _same_json(again.media.summary, summary):
        found.append("summary")
    return found


def _check_index(ws: Workspace, problem: ProblemFn) -> None:
    with ws.db.read() as session:
        found = hashindex.check(session)
    if found.missing or found.extra:
        problem(
            "index-differs",
            "index",
            f"the similarity index differs from the fingerprints ({found.missing} band rows missing, "
            f"{found.extra} that no fingerprint calls for): run `evidence db reindex`",
        )
