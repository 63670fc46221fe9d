"""Commands that write exports: export, report."""
