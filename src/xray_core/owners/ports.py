"""Ports of the owner feature."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from xray_core.owners.model import Owner, OwnerItem


class OwnerRepository(Protocol):
    """Keeps owners (QR tokens) and the x-rays confirmed for them."""

    def add_many(self, owners: Sequence[Owner]) -> None:
        """Store new owners."""
        ...

    def get(self, token: str) -> Owner | None:
        """Return the owner with this token, if any."""
        ...

    def by_code(self, code: str) -> Owner | None:
        """Return the owner whose short code is ``code``, if any."""
        ...

    def for_batch(self, batch_id: int) -> list[Owner]:
        """Return the owners made by one QR batch, in print order."""
        ...

    def add_item(self, item: OwnerItem) -> int:
        """Store a confirmed x-ray for ``item.owner_ref``; return its id (``item.id`` unused)."""
        ...

    def items(self, owner_ref: str | None = None) -> list[OwnerItem]:
        """Return the items of one owner reference (or of all owners), oldest first."""
        ...

    def referenced_keys(self) -> set[str]:
        """Return every blob key an owner item points at."""
        ...

    def item(self, item_id: int) -> OwnerItem | None:
        """Return one item by id, if it is there."""
        ...

    def delete_item(self, item_id: int) -> None:
        """Remove one item (its blobs are the caller's to delete, after commit)."""
        ...

    def delete_all(self) -> int:
        """Remove every owner and item (the event is over); return how many items."""
        ...

    def delete_empty(self) -> int:
        """Remove the owners with no item that no QR batch made (the portal's); return how many."""
        ...


class OwnerStorage(Protocol):
    """Where a confirmed x-ray is kept for its owner (behind confirm).

    The built-in one keeps it in the database and blob store, which the owner pages read.
    Another one (e.g. a WebDAV folder per family) wraps it and copies the files out in
    :meth:`publish`, so the database stays the record.
    """

    def keep(self, owners: OwnerRepository, item: OwnerItem) -> OwnerItem:
        """Record ``item`` inside confirm's transaction (no remote I/O); return it with its id."""
        ...

    def publish(self, item: OwnerItem) -> None:
        """Deliver ``item`` after confirm committed (may do remote I/O; failures are logged)."""
        ...
