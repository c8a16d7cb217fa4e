"""Every view of analysis results rows, and the manuscript: labels, tables, figures, ledger, methods
text."""
