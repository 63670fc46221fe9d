"""accounts: who may sign in to the web application

`account` (a name, unique; a role: viewer, analyst or admin; the password as scrypt keeps it; who made
it and when; when it was disabled). Never removed, and its identity never changes: triggers refuse
DELETE and an UPDATE of its id, name or creation; its role, password and disabled time change, each
change logged with the account's new digest.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)
MESSAGE = "catalogue records are append-only: correct them with a new record"
# the columns that never change (role, password and disabled_at do)
FIXED = ("id", "name", "created_at", "created_by")


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("disabled_at", UTC_TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("name", name=op.f("uq_account_name")),
    )
    columns = ", ".join(FIXED)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER account_fixed BEFORE UPDATE OF {columns} OR DELETE ON account "
            "FOR EACH ROW EXECUTE FUNCTION evidence_record_append_only()"
        )
        op.execute(
            "CREATE TRIGGER account_fixed_truncate BEFORE TRUNCATE ON account "
            "FOR EACH STATEMENT EXECUTE FUNCTION evidence_record_append_only()"
        )
    else:
        op.execute(
            f"CREATE TRIGGER account_fixed_update BEFORE UPDATE OF {columns} ON account "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
        op.execute(
            "CREATE TRIGGER account_fixed_delete BEFORE DELETE ON account "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )


def downgrade() -> None:
    op.drop_table("account")
