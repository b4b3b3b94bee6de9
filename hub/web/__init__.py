"""hub.web (being built)."""
