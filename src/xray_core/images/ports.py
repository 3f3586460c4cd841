"""Ports of the image feature."""

from __future__ import annotations

from typing import Protocol

from xray_core.images.model import StoredPhoto


class ImageRenderer(Protocol):
    """Produces the images we serve from the images we keep (already checked)."""

    def to_png(self, data: bytes, orientation: int) -> bytes:
        """Return the pixels of ``data`` as PNG, turned by EXIF ``orientation``, no metadata."""
        ...

    def preview(self, data: bytes, orientation: int, max_edge: int) -> bytes:
        """Return a small WebP of ``data``, upright, long side at most ``max_edge``."""
        ...


class ImageSanitizer(ImageRenderer, Protocol):
    """Checks images by content and turns them into what we store (and renders, as above).

    Implementations raise :class:`xray_core.errors.UnsupportedMediaError` for data that is
    not an image of an accepted format (or is truncated or corrupt) and
    :class:`xray_core.errors.TooLargeError` for images whose pixel count exceeds the limit
    (decompression bombs), without decoding their pixels.
    """

    def clean_photo(self, data: bytes) -> bytes:
        """Return an uploaded photo as PNG: upright by its EXIF orientation, no metadata."""
        ...

    def prepare_photo(self, data: bytes, max_edge: int) -> StoredPhoto:
        """Return an uploaded photo as we keep it: no metadata, long side <= ``max_edge``.

        A photo within ``max_edge`` keeps its exact pixels (a JPEG keeps its compressed data
        and its orientation is returned, to apply later); a larger one is reduced once,
        turned upright, and kept at a quality of at least 40 dB PSNR.
        """
        ...

    def clean_result(self, data: bytes) -> bytes:
        """Return a worker's result as PNG: a valid PNG byte for byte, anything else converted."""
        ...
