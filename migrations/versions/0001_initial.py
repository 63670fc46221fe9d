"""initial: item, acquisition, custody event (append-only)

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)

SQLITE_TRIGGERS = [
    """CREATE TRIGGER event_append_only_update BEFORE UPDATE ON event
       BEGIN SELECT RAISE(ABORT, 'the custody log is append-only'); END""",
    """CREATE TRIGGER event_append_only_delete BEFORE DELETE ON event
       BEGIN SELECT RAISE(ABORT, 'the custody log is append-only'); END""",
]

POSTGRES_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION evidence_event_append_only() RETURNS trigger
       LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'the custody log is append-only'; END $$""",
    """CREATE TRIGGER event_append_only BEFORE UPDATE OR DELETE ON event
       FOR EACH ROW EXECUTE FUNCTION evidence_event_append_only()""",
    """CREATE TRIGGER event_append_only_truncate BEFORE TRUNCATE ON event
       FOR EACH STATEMENT EXECUTE FUNCTION evidence_event_append_only()""",
]


def upgrade() -> None:
    op.create_table(
        "event",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_event")),
        sa.UniqueConstraint("hash", name=op.f("uq_event_hash")),
    )
    op.create_index("ix_event_subject", "event", ["subject"], unique=False)

    op.create_table(
        "item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("mime", sa.String(length=100), nullable=True),
        sa.Column("declared_ext", sa.String(length=32), nullable=False),
        sa.Column("probe", sa.Text(), nullable=True),
        sa.Column("analysis", sa.String(length=400), nullable=False),
        sa.Column("first_catalogued_at", UTC_TIME, nullable=False),
        sa.Column("analysed_at", UTC_TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item")),
        sa.UniqueConstraint("sha256", name=op.f("uq_item_sha256")),
    )
    op.create_table(
        "acquisition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("original_name", sa.Text(), nullable=False),
        sa.Column("original_path", sa.Text(), nullable=False),
        sa.Column("original_path_raw", sa.LargeBinary(), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("posted_at", UTC_TIME, nullable=True),
        sa.Column("posted_at_precision", sa.String(length=16), nullable=True),
        sa.Column("captured_at", UTC_TIME, nullable=False),
        sa.Column("claimed_by", sa.Text(), nullable=True),
        sa.Column("collected_by", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("tool_version", sa.String(length=64), nullable=False),
        sa.Column("source_mtime", UTC_TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_acquisition_item_id_item"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acquisition")),
    )
    op.create_index(op.f("ix_acquisition_item_id"), "acquisition", ["item_id"], unique=False)

    triggers = POSTGRES_TRIGGERS if op.get_bind().dialect.name == "postgresql" else SQLITE_TRIGGERS
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS event_append_only_truncate ON event")
        op.execute("DROP TRIGGER IF EXISTS event_append_only ON event")
        op.execute("DROP FUNCTION IF EXISTS evidence_event_append_only()")
    op.drop_index(op.f("ix_acquisition_item_id"), table_name="acquisition")
    op.drop_table("acquisition")
    op.drop_table("item")
    op.drop_index("ix_event_subject", table_name="event")
    op.drop_table("event")
