"""What the image feature stores: a checked photo and the keys of its derived images."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

PhotoKind = Literal["jpeg", "png"]
PreviewSize = Literal["web", "thumb"]
PREVIEW_SIZES: tuple[PreviewSize, ...] = ("web", "thumb")

_EXTENSIONS: dict[PhotoKind, str] = {"jpeg": "jpg", "png": "png"}
_MEDIA_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
_ORIENTED = re.compile(r"\.o([2-8])\.(jpg|png)$")
# Derived images live beside their source under "<source>--<variant>": garbage collection and
# deletion find them from the source key alone, so no table needs to know about them.
DERIVED_MARK = "--"
_EDIT_MARK = ".fx"
VARIANTS = {"png": "full.png", "web": "web.webp", "thumb": "thumb.webp"}


@dataclass(frozen=True, slots=True)
class StoredPhoto:
    """A checked photo as we keep it.

    Attributes:
        data: the bytes to store, free of metadata.
        kind: their format.
        orientation: the EXIF orientation (1-8) still to apply whenever pixels are produced;
            1 when ``data`` is upright already.
    """

    data: bytes
    kind: PhotoKind
    orientation: int = 1


def photo_key(name: str, photo: StoredPhoto) -> str:
    """Return the blob key of a photo: ``originals/<name>[.o<orientation>].<ext>``."""
    turn = "" if photo.orientation == 1 else f".o{photo.orientation}"
    return f"originals/{name}{turn}.{_EXTENSIONS[photo.kind]}"


def orientation_of(key: str) -> int:
    """Return the EXIF orientation a photo's key says is still to be applied (1: none)."""
    match = _ORIENTED.search(key)
    return int(match.group(1)) if match else 1


def media_type_of(key: str) -> str:
    """Return the Content-Type of the blob under ``key``, judged by its extension.

    An edited result (``<key>.fx<n>-<random>``, made by the fracture tool) has its
    unedited key's type.
    """
    if DERIVED_MARK not in key:
        key = key.partition(_EDIT_MARK)[0]
    return _MEDIA_TYPES.get(key.rsplit(".", 1)[-1], "application/octet-stream")


def derived_key(key: str, variant: str) -> str:
    """Return the key of the ``variant`` (``png``, ``web``, ``thumb``) of the blob ``key``."""
    return f"{source_of(key)}{DERIVED_MARK}{VARIANTS[variant]}"


def source_of(key: str) -> str:
    """Return the key a derived blob was made from (a source key is its own source)."""
    return key.split(DERIVED_MARK, 1)[0]
