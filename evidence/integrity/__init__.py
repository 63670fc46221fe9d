"""Integrity: `verify` (and `--deep` re-derivation), `fsck`, anchors."""
