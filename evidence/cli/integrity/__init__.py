"""Commands of integrity: verify, fsck, anchor."""
