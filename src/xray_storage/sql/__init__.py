"""SQLModel storage for SQLite and PostgreSQL."""

from xray_storage.sql.engine import create_db_engine, create_schema
from xray_storage.sql.repositories import SqlModelUnitOfWork, SqlModelUnitOfWorkFactory

__all__ = ["SqlModelUnitOfWork", "SqlModelUnitOfWorkFactory", "create_db_engine", "create_schema"]
