"""hash lists: partners' lists of known content, loaded by `evidence hashes import`

`hash_list` names each list loaded as known content: its name here, the item that preserves the list
file as received (its hashes are read from that file), its format (threatexchange, vpdq or csv), how
many hashes it holds, the video a vPDQ file is of, and who loaded it when. Append-only, like the other
records: a list is never changed (load the new version under a new name).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "catalogue records are append-only: correct them with a new record"


def upgrade() -> None:
    op.create_table(
        "hash_list",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_hash_list_item_id_item"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hash_list")),
        sa.UniqueConstraint("name", name=op.f("uq_hash_list_name")),
    )
    op.create_index(op.f("ix_hash_list_item_id"), "hash_list", ["item_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER hash_list_append_only BEFORE UPDATE OR DELETE ON hash_list "
            "FOR EACH ROW EXECUTE FUNCTION evidence_record_append_only()"
        )
        op.execute(
            "CREATE TRIGGER hash_list_append_only_truncate BEFORE TRUNCATE ON hash_list "
            "FOR EACH STATEMENT EXECUTE FUNCTION evidence_record_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER hash_list_append_only_{verb.lower()} BEFORE {verb} ON hash_list "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )


def downgrade() -> None:
    op.drop_index(op.f("ix_hash_list_item_id"), table_name="hash_list")
    op.drop_table("hash_list")
