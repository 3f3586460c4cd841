"""A blob store in the database itself (``BLOB_STORE=database``).

For replicas on several hosts that share nothing but the database URL. A put is one
transaction, so a reader sees the whole blob or none, like the filesystem store's rename.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import BinaryIO

from sqlalchemy import Engine, delete, insert, select

from xray_core.errors import NotFoundError
from xray_storage.sql.tables import BlobRow

_TABLE = BlobRow.__table__  # type: ignore[attr-defined]


class SqlBlobStore:
    """Keeps each blob as one row of the ``blobs`` table."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def put(self, key: str, data: bytes, *, durable: bool = True) -> None:
        """Store ``data`` under ``key`` (replacing what was there) in one transaction.

        The database's own commit decides durability; ``durable`` changes nothing here.
        """
        with self._engine.begin() as connection:
            connection.execute(delete(_TABLE).where(_TABLE.c.key == key))
            connection.execute(
                insert(_TABLE).values(
                    key=key, data=bytes(data), size=len(data), created_at=datetime.now(UTC)
                )
            )

    def get(self, key: str) -> bytes:
        """Return the blob under ``key``."""
        with self._engine.connect() as connection:
            row = connection.execute(select(_TABLE.c.data).where(_TABLE.c.key == key)).first()
        if row is None:
            raise NotFoundError(f"no blob {key!r}")
        return bytes(row[0])

    def open(self, key: str) -> BinaryIO:
        """Return a stream over the blob under ``key`` (read whole: rows are not streamed)."""
        return io.BytesIO(self.get(key))

    def delete(self, key: str) -> None:
        """Remove the blob under ``key`` if it exists."""
        with self._engine.begin() as connection:
            connection.execute(delete(_TABLE).where(_TABLE.c.key == key))

    def keys(self) -> Iterator[tuple[str, float]]:
        """Yield every blob key with its age in seconds."""
        with self._engine.connect() as connection:
            rows = connection.execute(select(_TABLE.c.key, _TABLE.c.created_at)).all()
        now = datetime.now(UTC)
        for key, created in rows:
            stamp = created if created.tzinfo else created.replace(tzinfo=UTC)
            yield key, (now - stamp).total_seconds()
