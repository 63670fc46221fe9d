"""vocabulary, tags, claimants, places, claims and described contents

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "claimant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_key", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claimant")),
        sa.UniqueConstraint("name_key", name=op.f("uq_claimant_name_key")),
    )
    op.create_table(
        "place",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_key", sa.Text(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("precision", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place")),
        sa.UniqueConstraint("name_key", name=op.f("uq_place_name_key")),
    )
    op.create_table(
        "term",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("scope", sa.Integer(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("label_key", sa.Text(), nullable=False),
        sa.Column("free", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["term.id"], name=op.f("fk_term_parent_id_term"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_term")),
        sa.UniqueConstraint("scope", "label_key", name="uq_term_scope_label_key"),
    )
    op.create_index(op.f("ix_term_parent_id"), "term", ["parent_id"], unique=False)

    op.create_table(
        "claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claimant_id", sa.Integer(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("claimed_date", UTC_TIME, nullable=True),
        sa.Column("claimed_date_precision", sa.String(length=16), nullable=True),
        sa.Column("place_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=35), nullable=True),
        sa.Column("counters_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claimant_id"], ["claimant.id"], name=op.f("fk_claim_claimant_id_claimant"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["counters_id"], ["claim.id"], name=op.f("fk_claim_counters_id_claim"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["place_id"], ["place.id"], name=op.f("fk_claim_place_id_place"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim")),
    )
    op.create_index(op.f("ix_claim_claimant_id"), "claim", ["claimant_id"], unique=False)
    op.create_index(op.f("ix_claim_place_id"), "claim", ["place_id"], unique=False)

    op.create_table(
        "term_alias",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.Text(), nullable=False),
        sa.Column("alias_key", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["term_id"], ["term.id"], name=op.f("fk_term_alias_term_id_term"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_term_alias")),
        sa.UniqueConstraint("alias_key", "language", name="uq_term_alias_alias_key_language"),
    )
    op.create_index(op.f("ix_term_alias_term_id"), "term_alias", ["term_id"], unique=False)

    op.create_table(
        "annotation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("frame_id", sa.Integer(), nullable=True),
        sa.Column("t_start", sa.Float(), nullable=True),
        sa.Column("t_end", sa.Float(), nullable=True),
        sa.Column("box_x", sa.Integer(), nullable=True),
        sa.Column("box_y", sa.Integer(), nullable=True),
        sa.Column("box_w", sa.Integer(), nullable=True),
        sa.Column("box_h", sa.Integer(), nullable=True),
        sa.Column("frame_width", sa.Integer(), nullable=True),
        sa.Column("frame_height", sa.Integer(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("annotator", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("withdrawn_at", UTC_TIME, nullable=True),
        sa.Column("withdrawn_by", sa.Text(), nullable=True),
        sa.Column("withdrawn_note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "confidence IS NULL OR (confidence >= 0 AND confidence <= 1)",
            name=op.f("ck_annotation_confidence"),
        ),
        sa.ForeignKeyConstraint(
            ["frame_id"], ["frame.id"], name=op.f("fk_annotation_frame_id_frame"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_annotation_item_id_item"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["term_id"], ["term.id"], name=op.f("fk_annotation_term_id_term"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annotation")),
    )
    op.create_index(op.f("ix_annotation_item_id"), "annotation", ["item_id"], unique=False)
    op.create_index(op.f("ix_annotation_term_id"), "annotation", ["term_id"], unique=False)

    op.create_table(
        "claim_item",
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claim.id"], name=op.f("fk_claim_item_claim_id_claim"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_claim_item_item_id_item"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("claim_id", "item_id", name=op.f("pk_claim_item")),
    )
    op.create_index("ix_claim_item_item_id", "claim_item", ["item_id"], unique=False)

    op.create_table(
        "description",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claim.id"], name=op.f("fk_description_claim_id_claim"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_description_item_id_item"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["term_id"], ["term.id"], name=op.f("fk_description_term_id_term"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_description")),
    )
    op.create_index(op.f("ix_description_claim_id"), "description", ["claim_id"], unique=False)
    op.create_index(op.f("ix_description_item_id"), "description", ["item_id"], unique=False)
    op.create_index(op.f("ix_description_term_id"), "description", ["term_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_description_term_id"), table_name="description")
    op.drop_index(op.f("ix_description_item_id"), table_name="description")
    op.drop_index(op.f("ix_description_claim_id"), table_name="description")

    op.drop_table("description")
    op.drop_index("ix_claim_item_item_id", table_name="claim_item")

    op.drop_table("claim_item")
    op.drop_index(op.f("ix_annotation_term_id"), table_name="annotation")
    op.drop_index(op.f("ix_annotation_item_id"), table_name="annotation")

    op.drop_table("annotation")
    op.drop_index(op.f("ix_term_alias_term_id"), table_name="term_alias")

    op.drop_table("term_alias")
    op.drop_index(op.f("ix_claim_place_id"), table_name="claim")
    op.drop_index(op.f("ix_claim_claimant_id"), table_name="claim")

    op.drop_table("claim")
    op.drop_index(op.f("ix_term_parent_id"), table_name="term")

    op.drop_table("term")
    op.drop_table("place")
    op.drop_table("claimant")
