"""LedgerHub plugin package (being built)."""
