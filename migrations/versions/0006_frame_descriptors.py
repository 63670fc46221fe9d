"""copy-detection descriptors of frames (SSCD)

A `frame_descriptor` row per described frame: the model's name and version, which picture it
describes (the whole canonical picture, or the region where the footage moves) and the 512 float16
of the descriptor. Derived data: `evidence analyze --all` fills it for items analysed before.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "frame_descriptor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("frame_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("algorithm", sa.String(24), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("variant", sa.String(24), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("flat", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["frame_id"], ["frame.id"], name=op.f("fk_frame_descriptor_frame_id_frame"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_frame_descriptor_item_id_item"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frame_descriptor")),
    )
    op.create_index(op.f("ix_frame_descriptor_frame_id"), "frame_descriptor", ["frame_id"], unique=False)
    op.create_index(op.f("ix_frame_descriptor_item_id"), "frame_descriptor", ["item_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_frame_descriptor_item_id"), table_name="frame_descriptor")
    op.drop_index(op.f("ix_frame_descriptor_frame_id"), table_name="frame_descriptor")
    op.drop_table("frame_descriptor")
