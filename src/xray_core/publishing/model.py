"""Domain types of publishing: outbox entries, what goes to the portal, the status."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


def owner_hash(token: str) -> str:
    """Return the SHA-256 (hex) of an owner token: how the portal knows an owner.

    The token itself never leaves the booth; the portal hashes the token of a visited
    ``/p/{token}`` the same way, so a leaked portal database opens no page.
    """
    return hashlib.sha256(token.encode()).hexdigest()


class EntryKind(StrEnum):
    """What an outbox entry tells the portal."""

    PUBLISH = "publish"  # a confirmed x-ray (read from its owner item at delivery)
    WITHDRAW = "withdraw"  # a job retried or cancelled: nothing of it may show
    DELETE_OWNER = "delete_owner"  # every picture of the owner is to go


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An outbox entry to record (inside the transaction of the change it reports)."""

    kind: EntryKind
    owner: str  # the owner's hash (see :func:`owner_hash`)
    job_id: int
    item_id: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """A recorded entry, with its delivery attempts so far."""

    id: int
    kind: EntryKind
    owner: str
    job_id: int
    item_id: int
    created_at: datetime
    attempts: int
    next_at: datetime
    last_error: str


@dataclass(frozen=True, slots=True)
class Delivery:
    """One confirmed x-ray as the portal receives it: never the family's last name."""

    owner: str
    job_id: int
    first_name: str  # "" unless the booth is set to share it
    animal_name: str
    animal_type: str
    created_at: datetime
    xray: bytes  # the approved x-ray PNG, byte for byte
    photo: bytes  # the photo as kept (JPEG or PNG, no metadata)
    photo_suffix: str  # its key's ending (".jpg", ".o6.jpg", ".png"): format and orientation


@dataclass(frozen=True, slots=True)
class Deletion:
    """A portal-side deletion of an owner's pictures, for the booth to repeat."""

    id: int
    owner: str
    deleted_at: datetime


@dataclass(frozen=True, slots=True)
class PublishStatus:
    """What ``publish --status`` and the admin page show."""

    enabled: bool
    target: str
    published: int
    waiting: int
    failing: int
    last_error: str
    next_attempt: datetime | None
