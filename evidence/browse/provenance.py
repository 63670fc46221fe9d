"""Use case: `evidence provenance` — where an item comes from (the rules are in
`evidence.catalogue.provenance`). Nothing is written."""

from __future__ import annotations

from evidence.catalogue.provenance import Provenance
from evidence.catalogue.provenance import provenance as gather
from evidence.workspace import Workspace


def provenance(ws: Workspace, ref: str) -> Provenance:
    """The item's copies, their acquisitions, claims, tags, custody events and the fixity of every
    copy's original."""
    with ws.db.read() as session:
        return gather(session, ref, ws.store.fixity, ws.store)
