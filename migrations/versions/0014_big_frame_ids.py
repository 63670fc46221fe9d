"""64-bit ids for frames, fingerprints and descriptors on PostgreSQL

A catalogue makes about a hundred fingerprints and fifty frames for every clip it analyses, and new
ones each time a clip is analysed again (`evidence analyze` replaces them): a team archive of
hundreds of thousands of videos, re-analysed after each matcher upgrade, passes 2**31 of them, where
PostgreSQL's `integer` ids run out and every analysis would fail. This revision makes those ids, the
columns that name them (`fingerprint.frame_id`, `frame_descriptor.frame_id`, `annotation.frame_id`,
`hash_band.fingerprint_id`) and their sequences `bigint`. PostgreSQL rewrites each table once (the
frame index, `hash_band`, is the largest: about 16 rows a fingerprint), holding it locked meanwhile:
run `evidence db upgrade` when nobody works (187 s for 10 M fingerprints on 2 cores), then gathers
their statistics again. SQLite: nothing (its INTEGER holds 64 bits already).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# each table with its columns that hold a frame's, a fingerprint's or a descriptor's id, the columns
# naming another table's rows before the ids they name (a foreign key holds meanwhile: PostgreSQL
# compares integer with bigint)
COLUMNS = (
    ("hash_band", ("fingerprint_id",)),
    ("annotation", ("frame_id",)),
    ("fingerprint", ("id", "frame_id")),
    ("frame_descriptor", ("id", "frame_id")),
    ("frame", ("id",)),
)
SEQUENCES = ("frame", "fingerprint", "frame_descriptor")  # the tables whose `id` a sequence gives


def _retype(kind: str) -> None:
    for table, columns in COLUMNS:
        changes = ", ".join(f"ALTER COLUMN {column} TYPE {kind}" for column in columns)
        op.execute(f"ALTER TABLE {table} {changes}")
        # a retyped column loses its statistics: without them the frame query's plan took 874 ms
        # instead of 58 on the full-size bench catalogue, until autovacuum came by
        op.execute(f"ANALYZE {table}")
    bind = op.get_bind()
    for table in SEQUENCES:
        sequence = bind.execute(sa.text(f"SELECT pg_get_serial_sequence('{table}', 'id')")).scalar()
        if sequence is not None:
            op.execute(f"ALTER SEQUENCE {sequence} AS {kind}")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _retype("bigint")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _retype("integer")  # refused by PostgreSQL where an id has passed 2**31 - 1
