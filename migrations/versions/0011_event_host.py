"""custody events name the host they were made on

`event.host` is the name of the machine that appended the event (`socket.gethostname()`), so that a
catalogue several machines write (one PostgreSQL database) says where each change was made. The hash
covers it when it is set (evidence/core/custody.py); events made before this schema keep it NULL and
hash as they always did. The table's append-only triggers (0001) are on every column, so they refuse
an UPDATE of `host` as of any other column, on SQLite and PostgreSQL alike; the application role's
INSERT on every table (`evidence db roles`) covers the new column.

A downgrade drops the column only while no event names a host: once one does, the hash of that event
covers its host, and dropping it would leave the custody log unverifiable. The column is then kept
(the earlier code ignores it) and the upgrade finds it in place.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _has_host() -> bool:
    return any(c["name"] == "host" for c in sa.inspect(op.get_bind()).get_columns("event"))


def upgrade() -> None:
    if not _has_host():  # kept by a downgrade when events already named their host
        op.add_column("event", sa.Column("host", sa.String(length=255), nullable=True))


def downgrade() -> None:
    hosted = op.get_bind().execute(sa.text("SELECT 1 FROM event WHERE host IS NOT NULL LIMIT 1")).first()
    if hosted is None:
        op.drop_column("event", "host")
