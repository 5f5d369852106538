"""Use cases of campaigns: one module per use case, on the port."""
