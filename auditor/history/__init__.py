"""Scan history in a real database (SQLAlchemy 2 Core, Alembic migrations): SQLite or PostgreSQL."""
