"""Matching: near-duplicate search (`evidence match`) and the relations it suggests and analysts decide."""
