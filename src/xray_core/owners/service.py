"""The owner service: resolving scanned QR texts and showing a family its x-rays."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import BinaryIO

from xray_core.images.previews import ImageLibrary
from xray_core.owners.errors import OwnerNotFoundError
from xray_core.owners.model import OwnerItem, OwnerRef, normalise_code, token_in
from xray_core.owners.ports import OwnerRepository
from xray_core.ports import BlobStore, UnitOfWork


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
    """What a family sees on its page, and the admin's listing."""

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        blobs: BlobStore,
        library: ImageLibrary | None = None,
    ) -> None:
        """Without a ``library``, images are handed out as stored (all PNG before 2026-12)."""
        self._uow = uow
        self._blobs = blobs
        self._library = library

    def items(self, token: str) -> list[OwnerItem]:
        """Return the x-rays confirmed for the owner of ``token``, oldest first.

        Raises:
            OwnerNotFoundError: the token is not one of ours.
        """
        with self._uow() as uow:
            if uow.owners.get(token) is None:
                raise OwnerNotFoundError
            return uow.owners.items(token)

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
