"""captures of links

`capture` (one capture of a link: the URL, where it led, the HTTP status and headers, what it gave, and
the items holding its page as WACZ, its screenshot and its metadata) and `capture_media` (each media
file taken from it, as the acquisition that preserved it). Both are append-only: capturing a link again
makes a new capture.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)
MESSAGE = "catalogue records are append-only: correct them with a new record"
TABLES = ("capture", "capture_media")


def _item(column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["item.id"], name=op.f(f"fk_capture_{column}_item"), ondelete="RESTRICT"
    )


def upgrade() -> None:
    op.create_table(
        "capture",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("final_url", sa.Text(), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.Column("platform", sa.Text(), nullable=True),
        sa.Column("headers", sa.Text(), nullable=True),
        sa.Column("captured_at", UTC_TIME, nullable=False),
        sa.Column("collected_by", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("tool_version", sa.String(length=64), nullable=False),
        sa.Column("page_item_id", sa.Integer(), nullable=True),
        sa.Column("screenshot_item_id", sa.Integer(), nullable=True),
        sa.Column("metadata_item_id", sa.Integer(), nullable=True),
        _item("page_item_id"),
        _item("screenshot_item_id"),
        _item("metadata_item_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capture")),
    )
    op.create_index(op.f("ix_capture_page_item_id"), "capture", ["page_item_id"], unique=False)
    op.create_table(
        "capture_media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("capture_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("acquisition_id", sa.Integer(), nullable=False),
        sa.Column("media_url", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["capture_id"],
            ["capture.id"],
            name=op.f("fk_capture_media_capture_id_capture"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_capture_media_item_id_item"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["acquisition_id"],
            ["acquisition.id"],
            name=op.f("fk_capture_media_acquisition_id_acquisition"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capture_media")),
    )
    op.create_index(op.f("ix_capture_media_capture_id"), "capture_media", ["capture_id"], unique=False)
    op.create_index(op.f("ix_capture_media_item_id"), "capture_media", ["item_id"], unique=False)
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
    op.drop_index(op.f("ix_capture_media_item_id"), table_name="capture_media")
    op.drop_index(op.f("ix_capture_media_capture_id"), table_name="capture_media")
    op.drop_table("capture_media")
    op.drop_index(op.f("ix_capture_page_item_id"), table_name="capture")
    op.drop_table("capture")
