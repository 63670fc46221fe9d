"""trigram indexes for the text searches on PostgreSQL

`search --text` and `--claimed-by` (and the web list's filters) look for a piece of text anywhere in a
column (`lower(column) LIKE '%…%'`), which no B-tree index serves: each search read every row of the
tables searched. On PostgreSQL this revision installs the `pg_trgm` extension (shipped with
PostgreSQL, and trusted since PostgreSQL 13: the catalogue's owner may install it) and adds a GIN
trigram index on `lower(column)` for every column those searches read, so that a search of three
characters or more reads only the rows holding the text's trigrams. Where the extension cannot be
installed (not shipped, or no CREATE privilege on the database) the indexes are left out and the
searches give the same results, reading every row as before. SQLite: nothing (an embedded catalogue's
searches read every row).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column) read by `catalogue/search.py` with a substring condition
SEARCHED = (
    ("annotation", "note"),
    ("claim", "statement"),
    ("claimant", "name"),
    ("acquisition", "original_name"),
    ("acquisition", "note"),
    ("acquisition", "source_url"),
    ("acquisition", "claimed_by"),
    ("description", "source"),
    ("description", "note"),
    ("item", "probe"),
)


def _trigrams(bind: sa.Connection) -> bool:
    """Whether pg_trgm is installed, or may be installed here."""
    if bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first():
        return True
    if not bind.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).first():
        return False
    allowed = bind.execute(
        sa.text(
            "SELECT rolsuper OR has_database_privilege(current_database(), 'CREATE') FROM pg_roles "
            "WHERE rolname = current_user"
        )
    ).scalar()
    return bool(allowed)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql" or not _trigrams(bind):
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, column in SEARCHED:
        op.execute(
            f"CREATE INDEX IF NOT EXISTS ix_{table}_{column}_trgm ON {table} "
            f"USING gin (lower({column}) gin_trgm_ops)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in SEARCHED:
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_{column}_trgm")  # the extension stays: others may use it
