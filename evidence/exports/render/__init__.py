"""Rendering exports: HTML, CSV tables, bag layout, contact-sheet images (no database writes)."""
