"""`evidence db upgrade` across schema 0007, which gave claims the time they were said: a counter-claim's
one date (the only date a claim had) becomes when it was said, so the record stops saying that the
counter-claimant asserts the event happened then; `verify` still holds for every claim the log vouched
for, and a claim edited around the tool before the upgrade is not vouched for by it.

The catalogue at schema 0006 is made here as that schema's code made it: items added by the tool, the
schema taken back to 0006, then claimants, claims and their custody events written with the digest of
each claim's state under 0006's columns, computed by the rule in evidence/core/record_digest.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from alembic import command
from alembic.config import Config
from annotating import events
from conftest import Catalogue
from mediagen import make_image
from sqlalchemy import insert, text

from evidence.catalogue import custody, schema
from evidence.catalogue.annotation_models import Claim, Claimant, ClaimItem
from evidence.catalogue.engine import Database
from evidence.core.custody import CustodyAction
from evidence.core.record_digest import record_digest

T0 = datetime(2026, 11, 30, 9, 0, 0, 123456, tzinfo=UTC)
EVENT_DAY = datetime(2016, 3, 24, tzinfo=UTC)
SAID_DAY = datetime(2016, 3, 26, tzinfo=UTC)
# (claimant, statement, date, counters, item): what schema 0006 let an analyst record
CLAIMS_0006 = [
    ("Amaq", "five soldiers killed near Palmyra", EVENT_DAY, None, 1),
    ("Syrian Observatory for Human Rights", "we cannot confirm it", SAID_DAY, 1, 1),
    ("Kremlin spokesman", "no comment", None, 1, 2),
]


def _back_to_0006(cat: Catalogue) -> None:
    config = Config()
    config.set_main_option("script_location", str(schema.migrations_dir()))
    config.attributes["evidence_url"] = cat.url
    command.downgrade(config, "0006")


def _claims_at_0006(cat: Catalogue) -> None:
    """Claimants and claims as 0006's `evidence claim` wrote them, each with its custody event."""
    db = Database(cat.url)
    try:
        with db.write() as session:
            for n, (who, statement, date, counters, item) in enumerate(CLAIMS_0006, start=1):
                session.execute(
                    insert(Claimant.__table__).values(
                        id=n, name=who, name_key=who.lower(), created_at=T0, created_by="tester"
                    )
                )
                custody.append(
                    session,
                    actor="tester",
                    action=CustodyAction.CLAIMANT_ADD,
                    subject=f"claimant:{n}",
                    details={"name": who},
                    records=[("claimant", n)],
                )
                row: dict[str, Any] = {
                    "id": n,
                    "claimant_id": n,
                    "statement": statement,
                    "claimed_date": date,
                    "claimed_date_precision": None if date is None else "day",
                    "place_id": None,
                    "url": None,
                    "language": None,
                    "counters_id": counters,
                    "created_at": T0,
                    "created_by": "tester",
                }
                session.execute(insert(Claim.__table__).values(**row))
                session.execute(insert(ClaimItem.__table__).values(claim_id=n, item_id=item))
                digest = record_digest("claim", {**row, "items": [item]})
                custody.append(
                    session,
                    actor="tester",
                    action=CustodyAction.CLAIM,
                    subject=f"claim:{n}",
                    details={"claim": n, "counters": counters, "records": {f"claim:{n}": digest}},
                )
    finally:
        db.dispose()


def _edit_around_the_tool(cat: Catalogue, statement: str) -> None:
    """Change claim 3's words as someone holding the database can, past its append-only trigger."""
    db = Database(cat.url)
    try:
        with db.engine.begin() as conn:
            if cat.backend == "postgresql":
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                conn.execute(text("UPDATE claim SET statement = :s WHERE id = 3"), {"s": statement})
                return
            trigger = conn.execute(
                text("SELECT sql FROM sqlite_master WHERE name = 'claim_append_only_update'")
            ).scalar_one()
            conn.execute(text("DROP TRIGGER claim_append_only_update"))
            conn.execute(text("UPDATE claim SET statement = :s WHERE id = 3"), {"s": statement})
            conn.execute(text(trigger))
    finally:
        db.dispose()


def test_a_counter_claims_date_becomes_when_it_was_said(catalogue: Catalogue, tmp_path: Any) -> None:
    cat = catalogue
    for n in range(2):
        picture = make_image(tmp_path / f"p{n}.png", size=(160, 120), seed=40 + n)
        cat.ok("add", picture, "--posted-at", "2016-03-20")
    _back_to_0006(cat)
    _claims_at_0006(cat)
    _edit_around_the_tool(cat, "we confirm it")
    assert cat.run("claims", "1").exit_code == 6  # the tool refuses the old schema

    upgraded = cat.run("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert f"schema upgraded from 0006 to {schema.SCHEMA_HEAD}" in upgraded.stdout
    assert "1 counter-claim(s) had a date: it is now when they were said" in upgraded.stderr

    claims = {c["id"]: c for c in cat.json("claims", "1")["claims"]}
    assert claims[1]["date"] == "2016-03-24" and claims[1]["said_on"] is None
    assert claims[2]["said_on"] == "2016-03-26" and claims[2]["date"] is None
    assert claims[2]["counters"] == 1
    # the Observatory no longer "says the event happened" on the day it spoke
    provenance = cat.json("provenance", "1")
    assert [w["claim_id"] for w in provenance["warnings"]] == [1]
    human = cat.ok("provenance", "1").stdout
    assert "#2 Syrian Observatory for Human Rights, said 2016-03-26, disputes #1" in human
    warned = [line for line in human.splitlines() if line.startswith("warning:")]
    assert len(warned) == 1 and "claim #1 by Amaq says the event happened" in warned[0]

    (upgrade,) = events(cat, "upgrade", digests=True)
    assert upgrade["said_on_moved"] == [{"claim": 2, "said_on": "2016-03-26"}]
    assert sorted(upgrade["records"]) == ["claim:1", "claim:2"]  # not the claim edited before
    report = cat.json("verify", code=5)
    assert report["problems"] == [
        {
            "kind": "record-edited",
            "subject": "claim:3",
            "message": report["problems"][0]["message"],
        }
    ]
    assert "claim 3" in report["problems"][0]["message"]
