"""A readiness probe of the data directory: writable, with enough free space."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path


class DirectoryProbe:
    """Creates and deletes a small file in a directory and checks the free space there."""

    name = "data_dir"

    def __init__(self, path: Path, min_free_bytes: int) -> None:
        self._path = path
        self._min_free = min_free_bytes

    def check(self) -> None:
        """Raise unless a file can be written in the directory and enough space is left."""
        with tempfile.NamedTemporaryFile(dir=self._path, prefix=".ready-", delete=True) as probe:
            probe.write(b"ok")
            probe.flush()
        free = shutil.disk_usage(self._path).free
        if free < self._min_free:
            mb = 1024 * 1024
            raise OSError(f"{free // mb} MB free, below the minimum of {self._min_free // mb} MB")
