"""Commands for browsing: list, show, frames, sheet, search, provenance."""
