"""The BlobStore contract on the in-memory and the filesystem adapter: open, and puts that need no fsync."""

from __future__ import annotations

import pytest

from tests.conftest import Backend
from xray_core.errors import NotFoundError


def test_open_streams_the_stored_bytes(backend: Backend) -> None:
    """``open`` gives a stream of exactly what ``put`` stored, readable in pieces."""
    data = bytes(range(256)) * 5000
    backend.blobs.put("originals/abc.png", data)
    with backend.blobs.open("originals/abc.png") as stream:
        pieces = iter(lambda: stream.read(4096), b"")
        assert b"".join(pieces) == data


def test_open_of_a_missing_key_is_not_found(backend: Backend) -> None:
    """A key nobody stored raises NotFoundError, as ``get`` does."""
    with pytest.raises(NotFoundError):
        backend.blobs.open("originals/missing.png")


def test_a_put_that_need_not_be_durable_is_stored_and_listed(backend: Backend) -> None:
    """``durable=False`` still stores the object whole, under its key, for get, open and keys."""
    backend.blobs.put("originals/abc.jpg--web.webp", b"derived", durable=False)
    assert backend.blobs.get("originals/abc.jpg--web.webp") == b"derived"
    with backend.blobs.open("originals/abc.jpg--web.webp") as stream:
        assert stream.read() == b"derived"
    assert "originals/abc.jpg--web.webp" in {key for key, _ in backend.blobs.keys()}


def test_a_deleted_object_can_no_longer_be_opened(backend: Backend) -> None:
    """After ``delete`` the key is gone for ``open`` too."""
    backend.blobs.put("results/abc.png", b"x")
    backend.blobs.delete("results/abc.png")
    with pytest.raises(NotFoundError):
        backend.blobs.open("results/abc.png")
