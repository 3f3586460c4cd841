"""Alembic migrations of the SQL schema: one revision per change, the first equal to 0.1.0."""
