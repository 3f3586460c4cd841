"""A blob store in a directory, with atomic writes."""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from xray_core.errors import NotFoundError

_KEY = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_.-]+)*$")


class FilesystemBlobStore:
    """Keeps each blob as a file under ``root``; a key's ``/`` parts become folders.

    ``put`` writes a temporary file in the target folder, fsyncs it, renames it over the
    final name and fsyncs the folder: readers see the whole file or none, even after a crash.
    """

    def __init__(self, root: Path) -> None:
        self._root = root
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        if not _KEY.match(key) or ".." in key:
            raise ValueError(f"invalid blob key {key!r}")
        return self._root / key

    def put(self, key: str, data: bytes, *, durable: bool = True) -> None:
        """Store ``data`` under ``key`` atomically (and durably unless told otherwise)."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                if durable:
                    os.fsync(handle.fileno())
            Path(tmp).replace(path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        if not durable:
            return
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def get(self, key: str) -> bytes:
        """Return the blob under ``key``."""
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"no blob {key!r}") from None

    def open(self, key: str) -> BinaryIO:
        """Return the file of the blob under ``key``, open for reading."""
        try:
            return self._path(key).open("rb")
        except FileNotFoundError:
            raise NotFoundError(f"no blob {key!r}") from None

    def delete(self, key: str) -> None:
        """Remove the blob under ``key`` if it exists."""
        self._path(key).unlink(missing_ok=True)

    def keys(self) -> Iterator[tuple[str, float]]:
        """Yield every blob key with its age in seconds; leftover temp files count as blobs."""
        now = time.time()
        for path in self._root.rglob("*"):
            if path.is_file():
                key = path.relative_to(self._root).as_posix()
                try:
                    age = now - path.stat().st_mtime
                except FileNotFoundError:
                    continue
                yield key, age
