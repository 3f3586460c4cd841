"""A SQLite database held by another writer past the busy timeout answers 503, not 500."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.images import png
from xray_core.adapters.pillow_images import PillowImageSanitizer
from xray_core.clock import SystemClock
from xray_core.errors import BusyError
from xray_core.jobs.service import JobService
from xray_http.errors import status_of
from xray_storage.blobs.filesystem import FilesystemBlobStore
from xray_storage.sql import SqlModelUnitOfWorkFactory, create_db_engine, create_schema
from xray_storage.sql import engine as engines


def test_an_upload_blocked_by_another_writer_is_busy_and_stores_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the busy timeout the upload fails with BusyError (HTTP 503) and leaves no job."""
    monkeypatch.setattr(engines, "SQLITE_BUSY_MS", 200)
    db = tmp_path / "xray.db"
    engine = create_db_engine(f"sqlite:///{db}")
    create_schema(engine)
    service = JobService(
        SqlModelUnitOfWorkFactory(engine),
        FilesystemBlobStore(tmp_path / "blobs"),
        PillowImageSanitizer(),
        SystemClock(),
    )
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing for a long time
    try:
        with pytest.raises(BusyError) as caught:
            service.upload(
                png(),
                first_name="Ada",
                last_name="Busy",
                animal_name="Bear",
                qr_content="QR-1",
            )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert status_of(caught.value) == 503
    assert service.pending() == []
    engine.dispose()
