"""The family portal's side: receiving deliveries, deleting on request, retention."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from xray_core.clock import Clock
from xray_core.errors import InvalidInputError
from xray_core.images.model import StoredPhoto, orientation_of, photo_key
from xray_core.images.ports import ImageSanitizer
from xray_core.images.previews import ImageLibrary
from xray_core.owners.model import Owner, OwnerItem
from xray_core.ports import BlobStore, UnitOfWork
from xray_core.publishing.model import Deletion, Delivery, owner_hash

log = logging.getLogger(__name__)
_OWNER = re.compile(r"[0-9a-f]{64}")
_SUFFIX = re.compile(r"(\.o[2-8])?\.(jpg|png)")
MAX_TEXT = 100


def check_owner(owner: str) -> str:
    """Return ``owner`` if it is an owner hash (64 hex digits); else refuse it."""
    if not _OWNER.fullmatch(owner):
        raise InvalidInputError("owner must be the SHA-256 of a token (64 hex digits)")
    return owner


class PortalService:
    """Keeps what booths deliver under the owners' token hashes, for ``retention`` days."""

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        blobs: BlobStore,
        library: ImageLibrary,
        images: ImageSanitizer,
        clock: Clock,
        *,
        retention_days: int = 90,
        max_photo_edge: int = 2048,
    ) -> None:
        self._max_edge = max_photo_edge
        self._uow = uow
        self._blobs = blobs
        self._library = library
        self._images = images
        self._clock = clock
        self.retention = timedelta(days=retention_days)

    def receive(self, delivery: Delivery) -> bool:
        """Keep one delivered x-ray; return ``False`` if it was there already (or deleted).

        An x-ray confirmed before its family deleted its pictures is not kept again.

        Raises:
            InvalidInputError, UnsupportedMediaError: the delivery is malformed.
        """
        owner = check_owner(delivery.owner)
        if not _SUFFIX.fullmatch(delivery.photo_suffix):
            raise InvalidInputError("photo_suffix must be .jpg, .png or .o<2-8>.jpg/.png")
        for name in ("first_name", "animal_name", "animal_type"):
            if len(getattr(delivery, name)) > MAX_TEXT:
                raise InvalidInputError(f"{name} must be at most {MAX_TEXT} characters")
        if self._known(owner, delivery):
            return False
        xray = self._images.clean_result(delivery.xray)  # a PNG stays byte for byte
        # Checked like an upload (a booth's photo comes back unchanged); the orientation
        # still to apply comes from the booth's key, since the photo carries no metadata.
        kept = self._images.prepare_photo(delivery.photo, self._max_edge)
        turn = orientation_of(f"x{delivery.photo_suffix}")
        name = uuid.uuid4().hex
        xray_key = f"results/{name}.png"
        photo = photo_key(name, StoredPhoto(kept.data, kept.kind, turn))
        self._blobs.put(xray_key, xray)
        self._blobs.put(photo, kept.data)
        try:
            with self._uow() as uow:
                if self._known(owner, delivery, uow):  # a concurrent delivery came first
                    fresh = False
                else:
                    self._store(uow, owner, delivery, xray_key, photo)
                    uow.commit()
                    fresh = True
        except BaseException:
            self._library.delete(xray_key)
            self._library.delete(photo)
            raise
        if not fresh:
            self._library.delete(xray_key)
            self._library.delete(photo)
        return fresh

    def _store(
        self, uow: UnitOfWork, owner: str, delivery: Delivery, xray_key: str, photo_key: str
    ) -> None:
        if uow.owners.get(owner) is None:
            uow.owners.add_many([Owner(owner, "", None, 0, self._clock.now())])
        uow.owners.add_item(
            OwnerItem(
                id=0,
                owner_ref=owner,
                external=False,
                job_id=delivery.job_id,
                first_name=delivery.first_name,
                last_name="",
                animal_name=delivery.animal_name,
                animal_type=delivery.animal_type,
                xray_key=xray_key,
                original_key=photo_key,
                created_at=delivery.created_at,
            )
        )

    def _known(self, owner: str, delivery: Delivery, uow: UnitOfWork | None = None) -> bool:
        if uow is None:
            with self._uow() as own:
                return self._known(owner, delivery, own)
        deleted = uow.tombstones.latest(owner)
        if deleted is not None and delivery.created_at <= deleted:
            return True
        return any(i.job_id == delivery.job_id for i in uow.owners.items(owner))

    def withdraw(self, owner: str, job_id: int) -> int:
        """Remove what job ``job_id`` published for ``owner``; return how many items went."""
        check_owner(owner)
        return self._remove(owner, lambda item: item.job_id == job_id)

    def delete_owner(self, owner: str, *, by_family: bool = False) -> int:
        """Delete every picture of ``owner`` (rows and files); return how many items went.

        The deletion is recorded (hash and time only) so the booth repeats it when the
        family asked here (``by_family``), and a late delivery does not bring them back.
        """
        check_owner(owner)
        removed = self._remove(owner, lambda _item: True, tombstone=True)
        if by_family:
            log.info("a family deleted its pictures (%d)", removed)
        return removed

    def delete_token(self, token: str) -> int:
        """Delete the pictures of the owner of ``token`` (the family's own button)."""
        return self.delete_owner(owner_hash(token), by_family=True)

    def was_deleted(self, token: str) -> bool:
        """Whether the family of ``token`` deleted its pictures (within the retention)."""
        with self._uow() as uow:
            return uow.tombstones.latest(owner_hash(token)) is not None

    def deletions(self, after: int, limit: int = 500) -> list[Deletion]:
        """Return the deletions recorded after id ``after`` (for booths to repeat)."""
        with self._uow() as uow:
            return uow.tombstones.after(after, limit)

    def kept_until(self, item: OwnerItem) -> datetime:
        """Return when ``item`` is deleted by retention."""
        return item.created_at + self.retention

    def expire(self) -> int:
        """Delete every item older than the retention (rows, then files); return how many."""
        cutoff = self._clock.now() - self.retention
        with self._uow() as uow:
            old = [i for i in uow.owners.items() if i.created_at < cutoff]
            for item in old:
                uow.owners.delete_item(item.id)
            uow.owners.delete_empty()
            uow.tombstones.delete_before(cutoff)
            uow.commit()
        for item in old:
            self._library.delete(item.xray_key)
            self._library.delete(item.original_key)
        return len(old)

    def _remove(
        self, owner: str, which: Callable[[OwnerItem], bool], *, tombstone: bool = False
    ) -> int:
        with self._uow() as uow:
            gone = [i for i in uow.owners.items(owner) if which(i)]
            for item in gone:
                uow.owners.delete_item(item.id)
            if tombstone:
                uow.tombstones.add(owner, self._clock.now())
                uow.owners.delete_empty()
            uow.commit()
        for item in gone:
            self._library.delete(item.xray_key)
            self._library.delete(item.original_key)
        return len(gone)
