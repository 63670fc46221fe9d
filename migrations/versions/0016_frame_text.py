"""frame text: the words Tesseract read in an item's keyframes (or in a frame asked for)

`frame_text` holds one reading of one picture: the item, the frame's time (none for an image), the
picture's size, the words with their boxes and confidences (JSON), the same words as lines of text
(what `search --text` looks in), the Tesseract version and languages, and who read it when.
Append-only, like the other records: reading a frame again adds a reading.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "catalogue records are append-only: correct them with a new record"


def upgrade() -> None:
    op.create_table(
        "frame_text",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("t", sa.Float(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("words", sa.Text(), nullable=False),
        sa.Column("engine", sa.String(length=64), nullable=False),
        sa.Column("languages", sa.String(length=64), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_by", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_frame_text_item_id_item"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frame_text")),
    )
    op.create_index(op.f("ix_frame_text_item_id"), "frame_text", ["item_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql" and _trigrams_installed():
        for column in ("text",):  # `search --text`, as 0013's
            op.execute(
                f"CREATE INDEX IF NOT EXISTS ix_frame_text_{column}_trgm ON frame_text "
                f"USING gin (lower({column}) gin_trgm_ops)"
            )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER frame_text_append_only BEFORE UPDATE OR DELETE ON frame_text "
            "FOR EACH ROW EXECUTE FUNCTION evidence_record_append_only()"
        )
        op.execute(
            "CREATE TRIGGER frame_text_append_only_truncate BEFORE TRUNCATE ON frame_text "
            "FOR EACH STATEMENT EXECUTE FUNCTION evidence_record_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER frame_text_append_only_{verb.lower()} BEFORE {verb} ON frame_text "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )


def _trigrams_installed() -> bool:
    """Whether revision 0013 could install pg_trgm here (where it could not, searches read every row)."""
    found = op.get_bind().execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'"))
    return found.first() is not None


def downgrade() -> None:
    op.drop_index(op.f("ix_frame_text_item_id"), table_name="frame_text")
    op.drop_table("frame_text")
