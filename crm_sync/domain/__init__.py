"""The pure core of the customer view: documents, lookups, interactions (no I/O, no clock)."""
