"""The carousel service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from xray_core.carousel.errors import CarouselIndexError
from xray_core.carousel.model import CarouselItem
from xray_core.images.previews import ImageLibrary
from xray_core.ports import BlobStore, UnitOfWork


@dataclass(frozen=True, slots=True)
class CarouselPair:
    """The images of one carousel item."""

    xray: bytes
    original: bytes


class CarouselService:
    """Lists what the big screen shows and hands out its images."""

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        blobs: BlobStore,
        size: int,
        library: ImageLibrary | None = None,
    ) -> None:
        """Without a ``library``, images are handed out as stored (all PNG before 2026-12)."""
        self._uow = uow
        self._blobs = blobs
        self._size = size
        self._library = library

    def count(self) -> int:
        """Return how many items the carousel shows (at most the configured size)."""
        with self._uow() as uow:
            return len(uow.carousel.latest(self._size))

    def pair(self, index: int) -> CarouselPair:
        """Return the x-ray and original of item ``index`` (0 = newest).

        Raises:
            CarouselIndexError: no item has this index.
        """
        item = self.item(index)
        if self._library is None:
            return CarouselPair(self._blobs.get(item.xray_key), self._blobs.get(item.original_key))
        return CarouselPair(self._library.png(item.xray_key), self._library.png(item.original_key))

    def item(self, index: int) -> CarouselItem:
        """Return item ``index`` (0 = newest), with the keys of its images.

        Raises:
            CarouselIndexError: no item has this index.
        """
        with self._uow() as uow:
            items = uow.carousel.latest(self._size)
        if not 0 <= index < len(items):
            raise CarouselIndexError(index, len(items))
        return items[index]
