"""The image library: the PNGs and web sizes we serve, each made once from what we keep."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import BinaryIO

from xray_core.errors import InvalidInputError, NotFoundError
from xray_core.images.model import (
    PREVIEW_SIZES,
    VARIANTS,
    derived_key,
    media_type_of,
    orientation_of,
    source_of,
)
from xray_core.images.ports import ImageRenderer
from xray_core.ports import BlobStore

_STRIPES = 64


class ImageLibrary:
    """Hands out the blob keys of the images to serve, producing derived ones on first use.

    A derived image (the contract's PNG of a JPEG photo, a web size, a thumbnail) is made
    at most once per process, even under concurrent first requests (one lock per key
    stripe), stored beside its source and found there again after a restart. Derived images
    can be made again from their source, so they are written without fsync.
    """

    def __init__(
        self,
        blobs: BlobStore,
        renderer: ImageRenderer,
        *,
        web_edge: int = 1280,
        thumb_edge: int = 320,
    ) -> None:
        if min(web_edge, thumb_edge) < 16:
            raise ValueError("web_edge and thumb_edge must be at least 16 pixels")
        self._blobs = blobs
        self._renderer = renderer
        self._edges = {"web": web_edge, "thumb": thumb_edge}
        self._locks = [threading.Lock() for _ in range(_STRIPES)]

    def png_key(self, key: str) -> str:
        """Return the key of the PNG of blob ``key`` (``key`` itself for an upright PNG).

        Raises:
            NotFoundError: no blob ``key``.
        """
        if media_type_of(key) == "image/png" and orientation_of(key) == 1:
            return key
        turn = orientation_of(key)
        return self._ensure(key, "png", lambda data: self._renderer.to_png(data, turn))

    def png(self, key: str) -> bytes:
        """Return the PNG of blob ``key``."""
        return self._blobs.get(self.png_key(key))

    def preview_key(self, key: str, size: str) -> str:
        """Return the key of the ``web`` or ``thumb`` size of blob ``key`` (a WebP).

        Raises:
            InvalidInputError: ``size`` is neither.
            NotFoundError: no blob ``key``.
        """
        if size not in PREVIEW_SIZES:
            raise InvalidInputError(f"size must be one of {', '.join(PREVIEW_SIZES)}")
        edge, turn = self._edges[size], orientation_of(key)
        return self._ensure(key, size, lambda data: self._renderer.preview(data, turn, edge))

    def worker_photo(self, key: str) -> str:
        """Return the key of what a worker gets for photo ``key``: upright pixels, no metadata.

        An upright photo goes out as stored (a JPEG stays a JPEG); one still to be turned
        goes out as its PNG, since nothing it carries may tell the worker how to turn it.
        """
        return key if orientation_of(key) == 1 else self.png_key(key)

    def open(self, key: str) -> BinaryIO:
        """Return a stream of blob ``key`` (close it); raise ``NotFoundError`` if missing."""
        return self._blobs.open(key)

    @staticmethod
    def media_type(key: str) -> str:
        """Return the Content-Type of blob ``key``."""
        return media_type_of(key)

    def delete(self, key: str) -> None:
        """Delete blob ``key`` and every image derived from it."""
        for variant in VARIANTS:
            self._blobs.delete(derived_key(key, variant))
        self._blobs.delete(key)

    def _ensure(self, key: str, variant: str, make: Callable[[bytes], bytes]) -> str:
        target = derived_key(key, variant)
        if self._has(target):
            return target
        with self._locks[hash(target) % _STRIPES]:
            if self._has(target):
                return target
            self._blobs.put(target, make(self._blobs.get(key)), durable=False)
        if not self._has(source_of(target)):  # deleted meanwhile: do not leave an orphan
            self._blobs.delete(target)
            raise NotFoundError(f"no blob {key!r}")
        return target

    def _has(self, key: str) -> bool:
        try:
            with self._blobs.open(key) as stream:
                # Written without fsync: a crash can leave an empty file; make it again then.
                return stream.read(1) != b""
        except NotFoundError:
            return False
