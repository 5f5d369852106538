"""Use cases of the customer view: read, look up, warm, follow the ERP's changes, interactions."""
