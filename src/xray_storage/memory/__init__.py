"""In-memory adapters of every storage port, for tests and embedding."""

from xray_storage.memory.blobs import InMemoryBlobStore
from xray_storage.memory.repositories import InMemoryStore, InMemoryUnitOfWork

__all__ = ["InMemoryBlobStore", "InMemoryStore", "InMemoryUnitOfWork"]
