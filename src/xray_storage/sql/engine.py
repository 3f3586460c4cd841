"""Engines for SQLite (WAL, one writer transaction at a time) and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event
from sqlmodel import create_engine

from xray_storage.sql import tables  # noqa: F401  (registers the tables on the metadata)

SQLITE_BUSY_MS = 10_000


def create_db_engine(url: str) -> Engine:
    """Return an engine for ``url`` set up for concurrent use by several threads and processes.

    SQLite: WAL journal, ``busy_timeout`` of 10 s, ``synchronous=NORMAL``, ``secure_delete``
    (deleted rows are zeroed), and every
    transaction opened with ``BEGIN IMMEDIATE``, so that a read-then-write (a claim) can
    never be interleaved with another writer and never fails with "database is locked" on
    upgrade. PostgreSQL: pooled connections, checked before use.
    """
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_MS / 1000}
        )
        _sqlite_immediate(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _sqlite_immediate(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so that BEGIN is ours to issue.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted rows are overwritten, not left in free pages: a deleted name is gone.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_schema(engine: Engine) -> None:
    """Bring the schema to the newest revision (migrations; safe for concurrent starts)."""
    from xray_storage.sql.migrate import upgrade  # noqa: PLC0415  (alembic only when needed)

    upgrade(engine)
