"""The embedded ERP: the Faturamento core persisted with SQLAlchemy (SQLite and PostgreSQL)."""
