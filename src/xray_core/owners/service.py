"""The owner service: resolving scanned QR texts and showing a family its x-rays."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import BinaryIO

from xray_core.images.previews import ImageLibrary
from xray_core.owners.errors import OwnerNotFoundError
from xray_core.owners.model import OwnerItem, OwnerRef, normalise_code, token_in
from xray_core.owners.ports import OwnerRepository
from xray_core.ports import BlobStore, UnitOfWork
from xray_core.publishing.model import EntryKind, NewEntry, owner_hash


def resolve_owner(uow: UnitOfWork, qr_content: str) -> OwnerRef:
    """Return whom ``qr_content`` names: an owner (by URL, token or short code), else external."""
    text = qr_content.strip()
    token = token_in(text)
    for candidate in (token, text):
        if candidate and uow.owners.get(candidate) is not None:
            return OwnerRef(ref=candidate, external=False)
    code = normalise_code(text)
    if code is not None and (owner := uow.owners.by_code(code)) is not None:
        return OwnerRef(ref=owner.token, external=False)
    return OwnerRef(ref=text, external=True)


class DatabaseOwnerStorage:
    """The built-in owner storage: an owner item row pointing at the blobs."""

    def keep(self, owners: OwnerRepository, item: OwnerItem) -> OwnerItem:
        """Store the item row."""
        return replace(item, id=owners.add_item(item))

    def publish(self, item: OwnerItem) -> None:
        """Nothing to deliver: the owner pages read the database."""


class OwnerService:
    """What a family sees on its page, the admin's listing, and deletion on request.

    On the family portal (``hashed``) owners are stored under the SHA-256 of their token
    and a token nothing was published for yet shows the come-back-later page.
    """

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        blobs: BlobStore,
        library: ImageLibrary | None = None,
        *,
        hashed: bool = False,
        publishing: bool = False,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """Without a ``library``, images are handed out as stored (all PNG before 2026-12).

        With ``publishing``, a deletion also records an outbox entry for the portal.
        """
        self._uow = uow
        self._blobs = blobs
        self._library = library
        self._hashed = hashed
        self._publishing = publishing
        self._now = now

    def ref(self, token: str) -> str:
        """Return how the owner of ``token`` is stored (the token, or its hash on a portal)."""
        return owner_hash(token) if self._hashed else token

    def items(self, token: str) -> list[OwnerItem]:
        """Return the x-rays confirmed for the owner of ``token``, oldest first.

        Raises:
            OwnerNotFoundError: the token is not one of ours.
        """
        ref = self.ref(token)
        with self._uow() as uow:
            if uow.owners.get(ref) is None:
                if self._hashed:
                    return []
                raise OwnerNotFoundError
            return uow.owners.items(ref)

    def image(self, token: str, item_id: int, kind: str) -> bytes:
        """Return the ``xray`` or ``original`` PNG of one of the owner's items.

        Raises:
            OwnerNotFoundError: unknown token, item of another owner, or unknown kind.
        """
        key = self.image_key(token, item_id, kind)
        return self._blobs.get(key if self._library is None else self._library.png_key(key))

    def open_png(self, key: str) -> BinaryIO:
        """Return a stream of the PNG of an item's image ``key`` (made once if need be)."""
        return self._blobs.open(key if self._library is None else self._library.png_key(key))

    def image_key(self, token: str, item_id: int, kind: str) -> str:
        """Return the blob key of the ``xray`` or ``original`` of one of the owner's items.

        Raises:
            OwnerNotFoundError: unknown token, item of another owner, or unknown kind.
        """
        for item in self.items(token):
            if item.id == item_id:
                if kind == "xray":
                    return item.xray_key
                if kind == "original":
                    return item.original_key
        raise OwnerNotFoundError

    def listing(self) -> list[OwnerItem]:
        """Return every confirmed item of every owner, internal and external (for the admin)."""
        with self._uow() as uow:
            return uow.owners.items()

    def by_code(self, code: str) -> str | None:
        """Return the token of the owner whose short code is ``code`` (typed by hand)."""
        normal = normalise_code(code)
        with self._uow() as uow:
            owner = uow.owners.by_code(normal) if normal else None
        return None if owner is None else owner.token

    def delete(self, token: str, *, tell_portal: bool = True) -> int:
        """Delete every x-ray and photo kept for the owner of ``token``; return how many items.

        Rows go (with their big-screen entries and anything still to publish), then the
        files. With publishing on and ``tell_portal``, the portal is told in the same
        transaction (an outbox entry), so the deletion reaches it whenever it can be reached.
        On the booth the QR sheet that printed the token goes too (its PDF holds the token;
        the other codes printed on it keep working), so no copy of the link is left.
        """
        ref = self.ref(token)
        with self._uow() as uow:
            owner = None if self._hashed else uow.owners.get(ref)
            sheet = None
            if owner is not None and owner.batch_id is not None:
                sheet = uow.batches.get(owner.batch_id)
                if sheet is not None:
                    uow.batches.delete(sheet.id)
            gone = uow.owners.items(ref)
            for item in gone:
                uow.owners.delete_item(item.id)
            uow.carousel.remove_jobs({i.job_id for i in gone})
            if self._publishing and not self._hashed:
                hashed = owner_hash(ref)
                for entry in uow.outbox.pending():
                    if entry.owner == hashed and entry.kind is EntryKind.PUBLISH:
                        uow.outbox.remove(entry.id)
                if tell_portal:
                    uow.outbox.add(NewEntry(EntryKind.DELETE_OWNER, hashed, 0, 0, self._now()))
            uow.commit()
        for item in gone:
            self._delete_blob(item.xray_key)
            self._delete_blob(item.original_key)
        if sheet is not None and sheet.pdf_key:
            self._blobs.delete(sheet.pdf_key)
        return len(gone)

    def _delete_blob(self, key: str) -> None:
        if self._library is not None:
            self._library.delete(key)
        else:
            self._blobs.delete(key)
