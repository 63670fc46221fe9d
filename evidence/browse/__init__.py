"""Browse: list and show, search, provenance."""
