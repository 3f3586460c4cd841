"""Ports shared by every feature: blob storage and the unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import BinaryIO, Protocol, Self

from xray_core.carousel.ports import CarouselRepository
from xray_core.jobs.ports import JobRepository
from xray_core.owners.ports import OwnerRepository
from xray_core.publishing.ports import OutboxRepository, TombstoneRepository
from xray_core.qr.ports import QRBatchRepository
from xray_core.workers.ports import WorkerRepository


class BlobStore(Protocol):
    """Keeps immutable binary objects (images, PDFs) under string keys.

    ``put`` is atomic: a reader sees the whole object or nothing, never a half file, and a
    crash during ``put`` leaves no object under the key.
    """

    def put(self, key: str, data: bytes, *, durable: bool = True) -> None:
        """Store ``data`` under ``key``; durably when the call returns, if ``durable``.

        ``durable=False`` is for what can be made again (derived images): still atomic,
        but a crash may lose it or leave it empty.
        """
        ...

    def get(self, key: str) -> bytes:
        """Return the object under ``key``; raise ``NotFoundError`` if there is none."""
        ...

    def open(self, key: str) -> BinaryIO:
        """Return a readable stream of the object under ``key``, for sending it in pieces.

        The caller closes it. Raise ``NotFoundError`` if there is no such object.
        """
        ...

    def delete(self, key: str) -> None:
        """Remove the object under ``key``; no error if there is none."""
        ...

    def keys(self) -> Iterator[tuple[str, float]]:
        """Yield every stored key with its age in seconds (for garbage collection)."""
        ...


class UnitOfWork(Protocol):
    """One atomic transaction over the repositories.

    Use as a context manager; changes persist only if :meth:`commit` is called before the
    block ends. A unit of work is made per operation and never shared.
    """

    @property
    def jobs(self) -> JobRepository:
        """Jobs and their result slots."""
        ...

    @property
    def carousel(self) -> CarouselRepository:
        """Carousel entries."""
        ...

    @property
    def owners(self) -> OwnerRepository:
        """Owners and what was confirmed for them."""
        ...

    @property
    def batches(self) -> QRBatchRepository:
        """QR batches."""
        ...

    @property
    def workers(self) -> WorkerRepository:
        """The worker registry."""
        ...

    @property
    def outbox(self) -> OutboxRepository:
        """The booth's outbox to the family portal."""
        ...

    @property
    def tombstones(self) -> TombstoneRepository:
        """The portal's record of deleted owners."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None:
        """Make the changes of this unit of work permanent."""
        ...
