"""Alembic environment: runs on the connection ``xray_storage.sql.migrate`` hands in."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from xray_storage.sql import tables  # noqa: F401  (registers the tables on the metadata)

config = context.config
target = SQLModel.metadata


def _sqlite(url: str) -> bool:
    return url.startswith("sqlite")


if context.is_offline_mode():
    url = config.get_main_option("sqlalchemy.url") or ""
    context.configure(
        url=url,
        target_metadata=target,
        literal_binds=True,
        render_as_batch=_sqlite(url),
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target,
        render_as_batch=connection.dialect.name == "sqlite",
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()
