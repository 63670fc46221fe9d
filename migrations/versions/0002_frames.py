"""frames, keyframes and fingerprints; an analysis summary per item

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("item") as batch:
        batch.add_column(sa.Column("summary", sa.Text(), nullable=True))
    op.create_table(
        "frame",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("pts", sa.String(length=64), nullable=False),
        sa.Column("t", sa.Float(), nullable=False),
        sa.Column("sampled", sa.Boolean(), nullable=False),
        sa.Column("keyframe", sa.String(length=16), nullable=True),
        sa.Column("cut_score", sa.Float(), nullable=True),
        sa.Column("thumbnail", sa.String(length=64), nullable=True),
        sa.Column("quality", sa.Integer(), nullable=True),
        sa.Column("flat", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_frame_item_id_item"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frame")),
        sa.UniqueConstraint("item_id", "idx", name="uq_frame_item_id_idx"),
    )
    op.create_index("ix_frame_item_id_t", "frame", ["item_id", "t"], unique=False)
    op.create_table(
        "fingerprint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("frame_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("algorithm", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("variant", sa.String(length=24), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.Column("quality", sa.Integer(), nullable=True),
        sa.Column("informative", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["frame_id"], ["frame.id"], name=op.f("fk_fingerprint_frame_id_frame"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_fingerprint_item_id_item"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fingerprint")),
    )
    op.create_index(op.f("ix_fingerprint_frame_id"), "fingerprint", ["frame_id"], unique=False)
    op.create_index(op.f("ix_fingerprint_item_id"), "fingerprint", ["item_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_fingerprint_item_id"), table_name="fingerprint")
    op.drop_index(op.f("ix_fingerprint_frame_id"), table_name="fingerprint")
    op.drop_table("fingerprint")
    op.drop_index("ix_frame_item_id_t", table_name="frame")
    op.drop_table("frame")
    with op.batch_alter_table("item") as batch:
        batch.drop_column("summary")
