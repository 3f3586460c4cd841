"""Ports of the image feature."""

from __future__ import annotations

from typing import Protocol


class ImageSanitizer(Protocol):
    """Checks images by content and turns them into the PNG we store.

    Implementations raise :class:`xray_core.errors.UnsupportedMediaError` for data that is
    not an image of an accepted format (or is truncated or corrupt) and
    :class:`xray_core.errors.TooLargeError` for images whose pixel count exceeds the limit
    (decompression bombs), without decoding their pixels.
    """

    def clean_photo(self, data: bytes) -> bytes:
        """Return an uploaded photo as PNG: upright by its EXIF orientation, no metadata."""
        ...

    def clean_result(self, data: bytes) -> bytes:
        """Return a worker's result as PNG: a valid PNG byte for byte, anything else converted."""
        ...
