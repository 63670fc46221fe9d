"""claims say when they were said

`claim.said_on` (and its precision) is when the statement was made; `claimed_date` stays when the event
it asserts happened. A counter-claim asserts no event, so a date it was given before this schema (the
only date a claim had) is moved to `said_on`, which is what it meant. `evidence db upgrade` then logs
the claims' new state in a custody event (`evidence.catalogue.claim_statements`).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)
MESSAGE = "catalogue records are append-only: correct them with a new record"
SQLITE_TRIGGER = (
    "CREATE TRIGGER claim_append_only_update BEFORE UPDATE ON claim "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
)


def _rewrite(statement: str) -> None:
    """Run one UPDATE of `claim` past the trigger that keeps it append-only, inside this transaction."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE claim DISABLE TRIGGER claim_append_only")
        op.execute(statement)
        op.execute("ALTER TABLE claim ENABLE TRIGGER claim_append_only")
    else:
        op.execute("DROP TRIGGER IF EXISTS claim_append_only_update")
        op.execute(statement)
        op.execute(SQLITE_TRIGGER)


def upgrade() -> None:
    op.add_column("claim", sa.Column("said_on", UTC_TIME, nullable=True))
    op.add_column("claim", sa.Column("said_on_precision", sa.String(length=16), nullable=True))
    _rewrite(
        "UPDATE claim SET said_on = claimed_date, said_on_precision = claimed_date_precision, "
        "claimed_date = NULL, claimed_date_precision = NULL "
        "WHERE counters_id IS NOT NULL AND claimed_date IS NOT NULL"
    )


def downgrade() -> None:
    _rewrite(
        "UPDATE claim SET claimed_date = said_on, claimed_date_precision = said_on_precision "
        "WHERE counters_id IS NOT NULL AND claimed_date IS NULL AND said_on IS NOT NULL"
    )
    op.drop_column("claim", "said_on_precision")
    op.drop_column("claim", "said_on")
