"""analysts' decisions and withdrawals as rows of their own; records append-only

Relation decisions move from columns of `relation` to `relation_decision` rows, tag withdrawals from
columns of `annotation` to `withdrawal` rows, so that no analyst record is ever updated. Triggers refuse
UPDATE and DELETE on the records that are only ever added (and UPDATE of the identifying columns of
items, relations, terms and places), as they already do on the custody log.

`evidence db upgrade` then appends `seal` events carrying the digest of every record's state (see
evidence/core/record_digest.py), so that `verify` can compare the records with the chain from then on.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)

# tables whose rows are only ever added
APPEND_ONLY = (
    "acquisition",
    "annotation",
    "claimant",
    "claim",
    "claim_item",
    "description",
    "term_alias",
    "relation_decision",
    "withdrawal",
)
# tables whose rows are never removed and whose identifying columns never change
FIXED_COLUMNS = {
    "item": ("id", "sha256", "size", "declared_ext", "first_catalogued_at"),
    "relation": ("id", "a_id", "b_id", "created_at"),
    "term": ("id", "label", "label_key", "free", "created_at", "created_by"),
    "place": ("id", "name", "name_key", "created_at", "created_by"),
}
MESSAGE = "catalogue records are append-only: correct them with a new record"


def _sqlite_triggers() -> list[str]:
    out = []
    for table in APPEND_ONLY:
        for verb in ("UPDATE", "DELETE"):
            out.append(
                f"CREATE TRIGGER {table}_append_only_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )
    for table, columns in FIXED_COLUMNS.items():
        out.append(
            f"CREATE TRIGGER {table}_fixed_update BEFORE UPDATE OF {', '.join(columns)} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
        out.append(
            f"CREATE TRIGGER {table}_fixed_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
    return out


def _postgres_triggers() -> list[str]:
    out = [
        f"""CREATE OR REPLACE FUNCTION evidence_record_append_only() RETURNS trigger
           LANGUAGE plpgsql AS $$
           BEGIN RAISE EXCEPTION '{MESSAGE} (%)', TG_TABLE_NAME; END $$"""
    ]
    for table in APPEND_ONLY:
        out.append(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION evidence_record_append_only()"
        )
        out.append(
            f"CREATE TRIGGER {table}_append_only_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION evidence_record_append_only()"
        )
    for table, columns in FIXED_COLUMNS.items():
        out.append(
            f"CREATE TRIGGER {table}_fixed BEFORE UPDATE OF {', '.join(columns)} OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION evidence_record_append_only()"
        )
        out.append(
            f"CREATE TRIGGER {table}_fixed_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION evidence_record_append_only()"
        )
    return out


def upgrade() -> None:
    # decisions: kept aside while `relation` loses its columns (SQLite re-creates the table, which a
    # foreign key from relation_decision would refuse), then moved into their own rows
    op.execute(
        "CREATE TABLE evidence_decided_0005 AS SELECT id, kind, status, note, decided_at, decided_by "
        "FROM relation WHERE status <> 'suggested'"
    )
    with op.batch_alter_table("relation") as batch:
        batch.drop_column("status")
        batch.drop_column("decided_at")
        batch.drop_column("decided_by")
        batch.drop_column("note")
    op.create_table(
        "relation_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("relation_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("decided_at", UTC_TIME, nullable=False),
        sa.Column("decided_by", sa.Text(), nullable=False),
        sa.CheckConstraint("status IN ('confirmed', 'rejected')", name=op.f("ck_relation_decision_status")),
        sa.ForeignKeyConstraint(
            ["relation_id"],
            ["relation.id"],
            name=op.f("fk_relation_decision_relation_id_relation"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relation_decision")),
    )
    op.create_index(
        op.f("ix_relation_decision_relation_id"), "relation_decision", ["relation_id"], unique=False
    )
    op.execute(
        "INSERT INTO relation_decision (relation_id, status, kind, note, decided_at, decided_by) "
        "SELECT id, status, kind, note, decided_at, COALESCE(decided_by, 'unknown') "
        "FROM evidence_decided_0005 WHERE decided_at IS NOT NULL ORDER BY id"
    )
    op.execute("DROP TABLE evidence_decided_0005")

    op.create_table(
        "withdrawal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("withdrawn_at", UTC_TIME, nullable=False),
        sa.Column("withdrawn_by", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_withdrawal")),
        sa.UniqueConstraint("record", "record_id", name="uq_withdrawal_record_record_id"),
    )
    op.execute(
        "INSERT INTO withdrawal (record, record_id, withdrawn_at, withdrawn_by, note) "
        "SELECT 'tag', id, withdrawn_at, COALESCE(withdrawn_by, 'unknown'), withdrawn_note "
        "FROM annotation WHERE withdrawn_at IS NOT NULL ORDER BY withdrawn_at, id"
    )
    with op.batch_alter_table("annotation") as batch:
        batch.drop_column("withdrawn_at")
        batch.drop_column("withdrawn_by")
        batch.drop_column("withdrawn_note")

    triggers = _postgres_triggers() if op.get_bind().dialect.name == "postgresql" else _sqlite_triggers()
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in APPEND_ONLY:
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only_truncate ON {table}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only_delete")
    for table in FIXED_COLUMNS:
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_fixed ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_fixed_truncate ON {table}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_fixed_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_fixed_delete")
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS evidence_record_append_only()")
    with op.batch_alter_table("annotation") as batch:
        batch.add_column(sa.Column("withdrawn_at", UTC_TIME, nullable=True))
        batch.add_column(sa.Column("withdrawn_by", sa.Text(), nullable=True))
        batch.add_column(sa.Column("withdrawn_note", sa.Text(), nullable=True))
    op.execute(
        "UPDATE annotation SET withdrawn_at = (SELECT withdrawn_at FROM withdrawal w WHERE w.record = "
        "'tag' AND w.record_id = annotation.id), withdrawn_by = (SELECT withdrawn_by FROM withdrawal w WHERE "
        "w.record = 'tag' AND w.record_id = annotation.id), withdrawn_note = (SELECT note FROM "
        "withdrawal w WHERE w.record = 'tag' AND w.record_id = annotation.id)"
    )
    op.drop_table("withdrawal")
    op.execute(
        "CREATE TABLE evidence_decided_0005 AS SELECT d.relation_id, d.status, d.kind, d.note, "
        "d.decided_at, d.decided_by FROM relation_decision d WHERE d.id = (SELECT max(id) FROM "
        "relation_decision e WHERE e.relation_id = d.relation_id)"
    )
    op.drop_index(op.f("ix_relation_decision_relation_id"), table_name="relation_decision")
    op.drop_table("relation_decision")
    with op.batch_alter_table("relation") as batch:
        batch.add_column(
            sa.Column("status", sa.String(length=16), nullable=False, server_default="suggested")
        )
        batch.add_column(sa.Column("decided_at", UTC_TIME, nullable=True))
        batch.add_column(sa.Column("decided_by", sa.Text(), nullable=True))
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))
    op.execute(
        "UPDATE relation SET status = (SELECT status FROM evidence_decided_0005 d WHERE d.relation_id = "
        "relation.id), kind = (SELECT kind FROM evidence_decided_0005 d WHERE d.relation_id = relation.id), "
        "note = (SELECT note FROM evidence_decided_0005 d WHERE d.relation_id = relation.id), decided_at = "
        "(SELECT decided_at FROM evidence_decided_0005 d WHERE d.relation_id = relation.id), decided_by = "
        "(SELECT decided_by FROM evidence_decided_0005 d WHERE d.relation_id = relation.id) "
        "WHERE id IN (SELECT relation_id FROM evidence_decided_0005)"
    )
    op.execute("DROP TABLE evidence_decided_0005")
