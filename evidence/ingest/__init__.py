"""Ingest: `evidence add` (and `analyze`) — preserve files, record where they came from, analyse, match."""
