"""One contract for every BlobStore: memory, files, and the database (SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from xray_core.errors import NotFoundError
from xray_core.ports import BlobStore
from xray_storage.blobs.filesystem import FilesystemBlobStore
from xray_storage.memory import InMemoryBlobStore
from xray_storage.sql import create_db_engine, create_schema
from xray_storage.sql.blobs import SqlBlobStore


@pytest.fixture(
    params=[
        "memory",
        "files",
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
    ]
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    """Each blob store adapter, empty."""
    if request.param == "memory":
        yield InMemoryBlobStore()
        return
    if request.param == "files":
        yield FilesystemBlobStore(tmp_path / "blobs")
        return
    url = (
        f"sqlite:///{tmp_path / 'x.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    engine = create_db_engine(url)
    create_schema(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM blobs")
    yield SqlBlobStore(engine)
    engine.dispose()


def test_a_blob_comes_back_byte_for_byte(store: BlobStore) -> None:
    """What was put under a key is what get returns, binary zeros included."""
    data = bytes(range(256)) * 1000
    store.put("originals/a.png", data)
    assert store.get("originals/a.png") == data


def test_a_missing_key_is_not_found(store: BlobStore) -> None:
    """Getting a key nobody put raises the core's NotFoundError."""
    with pytest.raises(NotFoundError):
        store.get("results/nothing.png")


def test_put_replaces_and_delete_forgets(store: BlobStore) -> None:
    """A second put replaces the blob; delete removes it and is quiet when repeated."""
    store.put("qr/batch-1.pdf", b"one")
    store.put("qr/batch-1.pdf", b"two")
    assert store.get("qr/batch-1.pdf") == b"two"
    store.delete("qr/batch-1.pdf")
    store.delete("qr/batch-1.pdf")
    with pytest.raises(NotFoundError):
        store.get("qr/batch-1.pdf")


def test_keys_lists_every_blob_with_a_small_age(store: BlobStore) -> None:
    """keys() yields each stored key once, with a non-negative age."""
    for name in ("originals/a.png", "results/b.png"):
        store.put(name, b"x")
    listed = dict(store.keys())
    assert set(listed) == {"originals/a.png", "results/b.png"}
    assert all(0 <= age < 60 for age in listed.values())


def test_concurrent_puts_of_different_keys_all_land(store: BlobStore) -> None:
    """Eight threads writing 40 blobs leave 40 readable blobs."""

    def put(i: int) -> None:
        store.put(f"results/{i}.png", str(i).encode() * 100)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, range(40)))
    assert all(store.get(f"results/{i}.png") == str(i).encode() * 100 for i in range(40))
