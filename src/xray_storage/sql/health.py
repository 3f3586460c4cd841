"""A readiness probe of the database: one cheap read, bounded by a statement timeout."""

from __future__ import annotations

from sqlalchemy import Engine

STATEMENT_TIMEOUT_MS = 1000


class SqlDatabaseProbe:
    """Reads one row of the jobs table (the file or server must answer, not just a socket)."""

    name = "database"

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def check(self) -> None:
        """Raise unless the database answers a read of the jobs table."""
        # A raw DB-API connection: the engine's SQLite hook would open BEGIN IMMEDIATE and
        # queue the probe behind a writer; a plain SELECT needs no write lock.
        connection = self._engine.raw_connection()
        try:
            cursor = connection.cursor()
            if self._engine.dialect.name == "postgresql":
                cursor.execute(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}")
            cursor.execute("SELECT 1 FROM jobs LIMIT 1")
            cursor.fetchall()
            cursor.close()
            connection.rollback()
        finally:
            connection.close()
