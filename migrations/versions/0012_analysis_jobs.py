"""analysis jobs: an item's analysis and lookup handed to the job queue

`analysis_job` holds one row per item that `add` or `capture` handed to the queue
(`EVIDENCE_QUEUE_URL`) instead of analysing in its own process: its state (queued, running, done,
failed), the options it runs with, who queued it and when, when a worker started and finished it, how
many times a worker took it, which worker last did, and why it failed. It is operational state, not a
record of the evidence: the outcome is the item's analysis and its custody events. The application
role (`evidence db roles`) may update its state columns.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "analysis_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("queued_at", UTC_TIME, nullable=False),
        sa.Column("started_at", UTC_TIME, nullable=True),
        sa.Column("finished_at", UTC_TIME, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=300), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "state IN ('queued', 'running', 'done', 'failed')", name=op.f("ck_analysis_job_state")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_analysis_job_item_id_item"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_job")),
    )
    op.create_index(op.f("ix_analysis_job_item_id"), "analysis_job", ["item_id"])
    op.create_index(op.f("ix_analysis_job_state"), "analysis_job", ["state"])


def downgrade() -> None:
    op.drop_index(op.f("ix_analysis_job_state"), table_name="analysis_job")
    op.drop_index(op.f("ix_analysis_job_item_id"), table_name="analysis_job")
    op.drop_table("analysis_job")
