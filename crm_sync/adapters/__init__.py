"""Adapters of the customer view: Redis and in-process caches, SQL interactions, ERP records."""
