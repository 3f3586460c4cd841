"""The carousel service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from xray_core.carousel.errors import CarouselIndexError, CarouselJobError
from xray_core.carousel.model import CarouselItem
from xray_core.images.previews import ImageLibrary
from xray_core.ports import BlobStore, UnitOfWork


@dataclass(frozen=True, slots=True)
class CarouselPair:
    """The images of one carousel item."""

    xray: bytes
    original: bytes


@dataclass(frozen=True, slots=True)
class CarouselEntry:
    """What the big screen shows of one item: its place, job and the animal (no family name)."""

    index: int
    job_id: int
    animal_name: str
    animal_type: str


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

    def png_keys(self, index: int) -> tuple[str, str]:
        """Return the blob keys of the x-ray and original PNGs of item ``index`` (0 = newest).

        Raises:
            CarouselIndexError: no item has this index.
        """
        item = self.item(index)
        if self._library is None:
            return item.xray_key, item.original_key
        return self._library.png_key(item.xray_key), self._library.png_key(item.original_key)

    def open_blob(self, key: str) -> BinaryIO:
        """Return a stream of blob ``key`` (one of :meth:`png_keys`); close it."""
        return self._blobs.open(key)

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

    def entries(self) -> list[CarouselEntry]:
        """Return the items on the screen, newest first, with their animals' names."""
        with self._uow() as uow:
            items = uow.carousel.latest(self._size)
            jobs = {item.job_id: uow.jobs.get(item.job_id) for item in items}
        entries = []
        for index, item in enumerate(items):
            job = jobs[item.job_id]
            name, kind = (job.info.animal_name, job.info.animal_type) if job else ("", "other")
            entries.append(CarouselEntry(index, item.job_id, name, kind))
        return entries

    def image(self, job_id: int, kind: str, size: str = "full") -> bytes:
        """Return the ``"xray"`` or ``"original"`` of the item of job ``job_id``.

        ``size="full"`` gives the PNG; ``"web"`` the light web size (a WebP) that the big
        screen shows, when an image library is there (else the PNG).

        Raises:
            CarouselJobError: the job is not on the screen (any more), or the kind is unknown.
        """
        with self._uow() as uow:
            items = uow.carousel.latest(self._size)
        for item in items:
            if item.job_id == job_id and kind in {"xray", "original"}:
                key = item.xray_key if kind == "xray" else item.original_key
                if self._library is None:
                    return self._blobs.get(key)
                if size == "web":
                    return self._blobs.get(self._library.preview_key(key, "web"))
                return self._library.png(key)
        raise CarouselJobError(job_id)
