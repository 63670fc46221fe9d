"""Exports: records as JSON/CSV, BagIt bags, the HTML report, contact sheets."""
