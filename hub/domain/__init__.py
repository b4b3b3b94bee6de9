"""The domain: typed records, validation and money. No I/O, no framework."""
