"""cases: investigations that group items

`case_file` (a case: name, case-folded key, note) and `case_item` (an item put in a case, by whom and
when). Both are append-only like the other analyst records: taking an item out of a case is a
`withdrawal` of its `case_item` row.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)
MESSAGE = "catalogue records are append-only: correct them with a new record"
TABLES = ("case_file", "case_item")


def upgrade() -> None:
    op.create_table(
        "case_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_key", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_file")),
        sa.UniqueConstraint("name_key", name=op.f("uq_case_file_name_key")),
    )
    op.create_table(
        "case_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("added_at", UTC_TIME, nullable=False),
        sa.Column("added_by", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_case_item_case_id_case_file"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_case_item_item_id_item"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_item")),
    )
    op.create_index(op.f("ix_case_item_case_id"), "case_item", ["case_id"], unique=False)
    op.create_index(op.f("ix_case_item_item_id"), "case_item", ["item_id"], unique=False)
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        if postgres:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION evidence_record_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_append_only_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION evidence_record_append_only()"
            )
        else:
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_append_only_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
                )


def downgrade() -> None:
    op.drop_index(op.f("ix_case_item_item_id"), table_name="case_item")
    op.drop_index(op.f("ix_case_item_case_id"), table_name="case_item")
    op.drop_table("case_item")
    op.drop_table("case_file")
