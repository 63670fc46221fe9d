"""content credentials: what an item's C2PA manifest says, read at analysis

`content_credential` holds, per item with a C2PA manifest, its signer and the signer's organisation,
the claim generator, the declared actions and ingredients (JSON), the claim signature's and the hard
binding's validity and whether the signer's certificate is on a trust list, the validation failure
codes, or the problem that kept a present manifest from being read. Append-only like every record.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "catalogue records are append-only: correct them with a new record"


def upgrade() -> None:
    op.create_table(
        "content_credential",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("signer", sa.Text(), nullable=True),
        sa.Column("issuer", sa.Text(), nullable=True),
        sa.Column("claim_generator", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("actions", sa.Text(), nullable=True),
        sa.Column("ingredients", sa.Text(), nullable=True),
        sa.Column("signature_valid", sa.Boolean(), nullable=True),
        sa.Column("binding_valid", sa.Boolean(), nullable=True),
        sa.Column("trusted", sa.Boolean(), nullable=True),
        sa.Column("codes", sa.Text(), nullable=True),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_by", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_content_credential_item_id_item"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_credential")),
    )
    op.create_index(op.f("ix_content_credential_item_id"), "content_credential", ["item_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql" and _trigrams_installed():
        for column in (
            "signer",
            "issuer",
        ):  # `search --signed-by`, as 0013's
            op.execute(
                f"CREATE INDEX IF NOT EXISTS ix_content_credential_{column}_trgm ON content_credential "
                f"USING gin (lower({column}) gin_trgm_ops)"
            )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER content_credential_append_only BEFORE UPDATE OR DELETE ON content_credential "
            "FOR EACH ROW EXECUTE FUNCTION evidence_record_append_only()"
        )
        op.execute(
            "CREATE TRIGGER content_credential_append_only_truncate BEFORE TRUNCATE ON content_credential "
            "FOR EACH STATEMENT EXECUTE FUNCTION evidence_record_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER content_credential_append_only_{verb.lower()} BEFORE {verb} "
                f"ON content_credential BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )


def _trigrams_installed() -> bool:
    """Whether revision 0013 could install pg_trgm here (where it could not, searches read every row)."""
    found = op.get_bind().execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'"))
    return found.first() is not None


def downgrade() -> None:
    op.drop_index(op.f("ix_content_credential_item_id"), table_name="content_credential")
    op.drop_table("content_credential")
