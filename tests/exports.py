"""Shared by the export tests: a catalogue holding two items with everything analysts record about them
(terms, tags, claims, a description, a relation), stored as the `tag`, `claim` and `relate` commands
store them: rows plus custody events."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conftest import Catalogue
from mediagen import make_image, make_video
from sqlalchemy import select

from evidence.catalogue import custody
from evidence.catalogue.engine import Database
from evidence.catalogue.models import (
    Annotation,
    Claim,
    Claimant,
    ClaimItem,
    Description,
    Event,
    Place,
    Relation,
    RelationDecision,
    Term,
    TermAlias,
    Withdrawal,
)
from evidence.core.custody import ChainRecord

Seeded = tuple[Catalogue, dict[str, Any], dict[str, Any], dict[str, int]]

FORMULA = '=HYPERLINK("http://x","y")'
STATEMENT = 'Five soldiers, "killed"\nnear Palmyra; said @amaq'
HOSTILE_FILE = "..\\..\\x\n<img src=x onerror=alert(1)>.txt"
HOSTILE_RECORD = "../../etc/passwd\r\n<script>alert(1)</script>.txt"


def add(cat: Catalogue, path: Path, *extra: str) -> dict[str, Any]:
    entry: dict[str, Any] = cat.json("add", path, *extra)["results"][0]
    assert entry["status"] == "added", entry
    return entry


def record_analysts_work(cat: Catalogue, a: dict[str, Any], b: dict[str, Any]) -> dict[str, int]:
    """Terms, tags (one withdrawn), claims, a description and a confirmed relation, as the `tag`,
    `claim` and `relate` commands would store them (rows plus custody events)."""
    now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    db = Database(cat.url)
    try:
        with db.write() as s:
            weapon = Term(
                parent_id=None,
                scope=0,
                label="case weapon",
                label_key="case weapon",
                created_at=now,
                created_by="t",
            )
            s.add(weapon)
            s.flush()
            rifle = Term(
                parent_id=weapon.id,
                scope=weapon.id,
                label="case rifle",
                label_key="case rifle",
                created_at=now,
                created_by="t",
            )
            compass = Term(
                parent_id=None,
                scope=0,
                label="case compass",
                label_key="case compass",
                created_at=now,
                created_by="t",
            )
            unused = Term(
                parent_id=None,
                scope=0,
                label="case helmet",
                label_key="case helmet",
                created_at=now,
                created_by="t",
            )
            s.add_all([rifle, compass, unused])
            s.flush()
            alias = TermAlias(
                term_id=rifle.id,
                alias="кейс-винтовка",
                alias_key="кейс-винтовка",
                language="ru",
                created_at=now,
                created_by="t",
            )
            s.add(alias)
            tag = Annotation(
                item_id=a["id"],
                term_id=rifle.id,
                t_start=1.5,
                t_end=2.25,
                box_x=10,
                box_y=20,
                box_w=30,
                box_h=40,
                frame_width=160,
                frame_height=120,
                confidence=0.9,
                note=FORMULA,
                annotator="ana",
                source="manual",
                created_at=now,
            )
            withdrawn = Annotation(
                item_id=a["id"],
                term_id=compass.id,
                annotator="ana",
                source="manual",
                created_at=now,
            )
            other_tag = Annotation(item_id=b["id"], term_id=unused.id, annotator="bo", created_at=now)
            s.add_all([tag, withdrawn, other_tag])
            s.flush()
            withdrawal = Withdrawal(
                record="tag", record_id=withdrawn.id, withdrawn_at=now, withdrawn_by="bo", note="misread"
            )
            s.add(withdrawal)
            amaq = Claimant(name="@amaq", name_key="@amaq", created_at=now, created_by="t")
            other = Claimant(name="Someone else", name_key="someone else", created_at=now, created_by="t")
            palmyra = Place(
                name="Palmyra",
                name_key="palmyra",
                latitude=34.55,
                longitude=38.27,
                precision="town",
                created_at=now,
                created_by="t",
            )
            west = Place(
                name="Somewhere west",
                name_key="somewhere west",
                latitude=40.7,
                longitude=-73.98,
                created_at=now,
                created_by="t",
            )
            s.add_all([amaq, other, palmyra, west])
            s.flush()
            claim = Claim(
                claimant_id=amaq.id,
                statement=STATEMENT,
                claimed_date=now,
                claimed_date_precision="day",
                place_id=palmyra.id,
                url="https://t.me/x/1",
                language="ar",
                created_at=now,
                created_by="t",
            )
            claim_b = Claim(
                claimant_id=other.id,
                statement="-not this one",
                place_id=west.id,
                created_at=now,
                created_by="t",
            )
            s.add_all([claim, claim_b])
            s.flush()
            s.add_all(
                [
                    ClaimItem(claim_id=claim.id, item_id=a["id"]),
                    ClaimItem(claim_id=claim_b.id, item_id=b["id"]),
                ]
            )
            description = Description(
                item_id=a["id"],
                term_id=compass.id,
                claim_id=claim.id,
                source="the claim",
                created_at=now,
                created_by="t",
            )
            s.add(description)
            low, high = sorted([a["id"], b["id"]])
            relation = Relation(a_id=low, b_id=high, kind="duplicate", created_at=now)
            s.add(relation)
            s.flush()
            decision = RelationDecision(
                relation_id=relation.id,
                status="rejected",
                kind="duplicate",
                decided_at=now,
                decided_by="ana",
                note="unrelated",
            )
            s.add(decision)
            s.flush()
            # the events a real session would have logged, each with the digests of what it recorded
            for subject, action, records in [
                (f"term:{rifle.id}", "term-add", [("term", t.id) for t in (weapon, rifle, compass, unused)]),
                (f"term:{rifle.id}", "term-alias", [("alias", alias.id)]),
                (f"item:{a['sha256']}", "tag", [("tag", tag.id), ("tag", withdrawn.id)]),
                (f"item:{a['sha256']}", "untag", [("withdrawal", withdrawal.id)]),
                (f"item:{b['sha256']}", "tag", [("tag", other_tag.id)]),
                (f"claimant:{amaq.id}", "claimant-add", [("claimant", amaq.id), ("claimant", other.id)]),
                (f"place:{palmyra.id}", "place-add", [("place", palmyra.id)]),
                (f"place:{west.id}", "place-add", [("place", west.id)]),
                (f"item:{a['sha256']}", "claim", [("claim", claim.id)]),
                (f"item:{b['sha256']}", "claim", [("claim", claim_b.id)]),
                (f"item:{a['sha256']}", "describe", [("description", description.id)]),
                (
                    f"item:{a['sha256']}",
                    "reject-relation",
                    [("relation", relation.id), ("decision", decision.id)],
                ),
            ]:
                custody.append(
                    s,
                    actor="tester",
                    action=action,
                    subject=subject,
                    details={"note": FORMULA},
                    records=records,
                )
            return {
                "tag": tag.id,
                "withdrawn": withdrawn.id,
                "claim": claim.id,
                "claim_b": claim_b.id,
                "rifle": rifle.id,
                "weapon": weapon.id,
                "compass": compass.id,
                "unused": unused.id,
                "amaq": amaq.id,
                "palmyra": palmyra.id,
            }
    finally:
        db.dispose()


def logged_events(cat: Catalogue) -> list[Event]:
    db = Database(cat.url)
    try:
        with db.read() as s:
            return list(s.scalars(select(Event).order_by(Event.seq)))
    finally:
        db.dispose()


def two_items(catalogue: Catalogue) -> Seeded:
    clip = make_video(catalogue.home / "claimed.mp4", seconds=2, fps=10, size=(160, 120), seed=5)
    a = add(catalogue, clip, "--note", FORMULA, "--source-url", "https://t.me/x/1")
    b = add(catalogue, make_image(catalogue.home / "other.png", size=(96, 64), seed=9))
    return catalogue, a, b, record_analysts_work(catalogue, a, b)


def chain(events: list[dict[str, Any]]) -> list[ChainRecord]:
    return [
        ChainRecord(
            seq=e["seq"],
            at=datetime.fromisoformat(e["at"].replace("Z", "+00:00")),
            actor=e["actor"],
            action=e["action"],
            subject=e["subject"],
            details=e["details"],
            prev_hash=e["prev_hash"],
            hash=e["hash"],
            host=e["host"],
        )
        for e in events
    ]
