"""Ports of publishing: the outbox (in the unit of work), the portal's tombstones, a publisher."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from xray_core.publishing.model import Deletion, Delivery, NewEntry, OutboxEntry


class OutboxRepository(Protocol):
    """The booth's outbox, the publisher's lease and its place in the portal's deletions."""

    def add(self, entry: NewEntry) -> int:
        """Record an entry; return its id (ids grow: they are the delivery order)."""
        ...

    def pending(self, limit: int | None = None) -> list[OutboxEntry]:
        """Return the undelivered entries, oldest first."""
        ...

    def save(self, entry: OutboxEntry) -> None:
        """Write an entry's attempts, next attempt time and last error."""
        ...

    def remove(self, entry_id: int) -> None:
        """Forget a delivered (or pointless) entry."""
        ...

    def retry_all(self, now: datetime) -> int:
        """Make every entry due at ``now``; return how many there are."""
        ...

    def take_lease(self, holder: str, until: datetime, now: datetime) -> bool:
        """Hold the publisher's lease until ``until`` if it is free, expired or ours."""
        ...

    def cursor(self) -> int:
        """Return the id of the last portal deletion the booth has repeated (0: none)."""
        ...

    def set_cursor(self, value: int) -> None:
        """Remember the last portal deletion repeated."""
        ...


class TombstoneRepository(Protocol):
    """The portal's record of deleted owners (hash and time only)."""

    def add(self, owner: str, deleted_at: datetime) -> int:
        """Record that ``owner``'s pictures were deleted; return the record's id."""
        ...

    def latest(self, owner: str) -> datetime | None:
        """Return when ``owner``'s pictures were last deleted, if ever."""
        ...

    def after(self, last_id: int, limit: int) -> list[Deletion]:
        """Return the deletions after id ``last_id``, oldest first."""
        ...

    def delete_before(self, when: datetime) -> int:
        """Forget deletions older than ``when``; return how many."""
        ...


class Publisher(Protocol):
    """Delivers outbox entries somewhere (the family portal, a WebDAV folder)."""

    @property
    def target(self) -> str:
        """Where it delivers (for the status), without secrets."""
        ...

    def put(self, delivery: Delivery) -> None:
        """Store one x-ray for its owner; a second delivery of it changes nothing.

        Raises:
            PublishError: not delivered (tried again later).
        """
        ...

    def withdraw(self, owner: str, job_id: int) -> None:
        """Remove what a job may have published. Raises ``PublishError``."""
        ...

    def delete_owner(self, owner: str) -> None:
        """Remove every picture of an owner. Raises ``PublishError``."""
        ...

    def deletions(self, after: int) -> list[Deletion]:
        """Return the deletions families made on the other side after id ``after``.

        A publisher without any (WebDAV) returns an empty list. Raises ``PublishError``.
        """
        ...
