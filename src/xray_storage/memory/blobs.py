"""An in-memory blob store."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from typing import BinaryIO

from xray_core.errors import NotFoundError


class InMemoryBlobStore:
    """Keeps blobs in a dict; inspectable by tests through :attr:`objects`."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self._born: dict[str, float] = {}
        self._lock = threading.Lock()

    def put(self, key: str, data: bytes, *, durable: bool = True) -> None:
        """Store ``data`` under ``key`` (memory is never durable; the flag changes nothing)."""
        with self._lock:
            self.objects[key] = bytes(data)
            self._born[key] = time.monotonic()

    def get(self, key: str) -> bytes:
        """Return the blob under ``key``."""
        with self._lock:
            try:
                return self.objects[key]
            except KeyError:
                raise NotFoundError(f"no blob {key!r}") from None

    def open(self, key: str) -> BinaryIO:
        """Return a stream over the blob under ``key``."""
        return io.BytesIO(self.get(key))

    def delete(self, key: str) -> None:
        """Forget ``key``."""
        with self._lock:
            self.objects.pop(key, None)
            self._born.pop(key, None)

    def keys(self) -> Iterator[tuple[str, float]]:
        """Yield every key with its age in seconds."""
        now = time.monotonic()
        with self._lock:
            items = [(k, now - t) for k, t in self._born.items()]
        yield from items
