"""hub.sync (being built)."""
