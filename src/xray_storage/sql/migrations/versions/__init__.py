"""Alembic revisions (see docs/operations.md, "Upgrading")."""
