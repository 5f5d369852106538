"""SQL adapter of campaigns (SQLAlchemy 2 async; SQLite and PostgreSQL)."""
