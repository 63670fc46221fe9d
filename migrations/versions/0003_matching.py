"""similarity index (hash bands) and relations between items

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "hash_band",
        sa.Column("band", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("value", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("fingerprint_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("band", "value", "fingerprint_id", name=op.f("pk_hash_band")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "relation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("a_id", sa.Integer(), nullable=False),
        sa.Column("b_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("matcher", sa.String(length=32), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("decided_at", UTC_TIME, nullable=True),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("a_id < b_id", name=op.f("ck_relation_ordered_pair")),
        sa.ForeignKeyConstraint(
            ["a_id"], ["item.id"], name=op.f("fk_relation_a_id_item"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["b_id"], ["item.id"], name=op.f("fk_relation_b_id_item"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relation")),
        sa.UniqueConstraint("a_id", "b_id", name="uq_relation_a_id_b_id"),
    )
    op.create_index(op.f("ix_relation_a_id"), "relation", ["a_id"], unique=False)
    op.create_index(op.f("ix_relation_b_id"), "relation", ["b_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_relation_b_id"), table_name="relation")
    op.drop_index(op.f("ix_relation_a_id"), table_name="relation")
    op.drop_table("relation")
    op.drop_table("hash_band")
