"""hub.storage (being built)."""
