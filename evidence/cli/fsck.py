"""Commands: see the module owner."""
