"""After an event's purge: no deleted row left in the database files, no stray file beside them."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import Engine, text

BACKUPS = "backups"


def compact(engine: Engine) -> None:
    """Leave no bytes of deleted rows behind, and empty SQLite's WAL.

    SQLite: our connections delete with ``secure_delete`` (freed content is zeroed), so a
    truncating WAL checkpoint is enough, and no ``VACUUM`` has to wait for a running
    server's readers. PostgreSQL: ``VACUUM FULL``.
    """
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cursor.close()
        finally:
            raw.close()
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM FULL"))


def remove_leftovers(data_dir: Path, blob_dir: Path) -> int:
    """Delete what the blob store does not list: temp files, empty folders, database backups.

    The pre-upgrade backups hold the event's rows too, so they go. Returns the files removed.
    """
    removed = 0
    backups = data_dir / BACKUPS
    if backups.is_dir():
        removed += sum(1 for p in backups.rglob("*") if p.is_file())
        shutil.rmtree(backups)
    if blob_dir.is_dir():
        for path in sorted(blob_dir.rglob("*"), key=lambda p: len(p.parts), reverse=True):
            if path.is_file() or path.is_symlink():
                path.unlink()
                removed += 1
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    return removed
