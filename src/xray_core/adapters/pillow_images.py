"""Pillow adapter of :class:`xray_core.images.ports.ImageSanitizer` (and its renderer)."""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from io import BytesIO
from typing import TYPE_CHECKING

from PIL import Image, ImageOps

from xray_core.adapters import pillow_render
from xray_core.adapters.jpeg_segments import strip_metadata
from xray_core.adapters.png_check import check_png
from xray_core.errors import TooLargeError, UnsupportedMediaError, XrayError
from xray_core.images.model import StoredPhoto

if TYPE_CHECKING:
    from collections.abc import Iterator

# Decided by content only: Pillow tries no other plugin, so GIF, PDF, TIFF are refused.
_FORMATS = ("JPEG", "PNG", "WEBP")
_NOT_AN_IMAGE = "file is not a JPEG, PNG or WebP image, or it is truncated or corrupt"
_TOO_LARGE = "image has too many pixels"
_SCAN_SAMPLE = 64 * 1024


class PillowImageSanitizer:
    """Decodes photos and results with Pillow and stores them as metadata-free PNG."""

    def __init__(self, max_pixels: int = 40_000_000) -> None:
        """Refuse images with more than ``max_pixels`` pixels (width times height)."""
        if max_pixels <= 0:
            msg = f"max_pixels must be positive, not {max_pixels}"
            raise ValueError(msg)
        self._max_pixels = max_pixels

    def clean_photo(self, data: bytes) -> bytes:
        """Return the photo as PNG, upright by its EXIF orientation, no metadata."""
        with _pillow_errors():
            return _to_png(self._decode(data))

    def prepare_photo(self, data: bytes, max_edge: int) -> StoredPhoto:
        """Return the photo to keep: a JPEG's own data without metadata, else reduced or PNG."""
        with _pillow_errors():
            image = self._open(data)
            if max(image.size) > max_edge:
                return pillow_render.reduce(image, max_edge)
            if image.format == "JPEG" and image.mode in {"RGB", "L"}:
                orientation = pillow_render.orientation(image)
                kept = strip_metadata(data)
                _check_decodes(kept, image)
                return StoredPhoto(kept, "jpeg", orientation)
            image.load()
            return StoredPhoto(_to_png(image), "png")

    def to_png(self, data: bytes, orientation: int) -> bytes:
        """Return the pixels of a stored image as PNG, turned by ``orientation``."""
        with _pillow_errors():
            return pillow_render.to_png(self._decode(data), orientation)

    def preview(self, data: bytes, orientation: int, max_edge: int) -> bytes:
        """Return a WebP of a stored image, upright, its long side at most ``max_edge``."""
        with _pillow_errors():
            return pillow_render.preview(self._open(data), orientation, max_edge)

    def clean_result(self, data: bytes) -> bytes:
        """Return ``data`` itself if it is a valid still PNG, else converted to PNG."""
        with _pillow_errors():
            image = self._open(data)  # the header chunks, their checksums, the pixel limit
            # An animated PNG shows more than the frame we checked: keep only that one.
            if image.format == "PNG" and not getattr(image, "is_animated", False):
                check_png(data)  # every row is there, without making pixels of them
                return data
            image.load()
            return _to_png(image)

    def _decode(self, data: bytes) -> Image.Image:
        image = self._open(data)
        # A full decode, so truncated or corrupt data fails here and not later.
        image.load()
        return image

    def _open(self, data: bytes) -> Image.Image:
        image = Image.open(BytesIO(data), formats=_FORMATS)
        # Only the header has been read: refuse bombs before any pixel is allocated.
        width, height = image.size
        if width * height > self._max_pixels:
            limit = self._max_pixels
            msg = f"{_TOO_LARGE}: {width}x{height}, at most {limit:,} allowed"
            raise TooLargeError(msg)
        return image


def _check_decodes(kept: bytes, image: Image.Image) -> None:
    """Have libjpeg read the tables, frame and scan headers of ``kept`` and start its scan.

    ``strip_metadata`` has walked every segment to the end-of-image marker, so a truncated
    file is refused already. What libjpeg refuses besides is broken tables and headers
    (1439 of 1439 header corruptions judged alike either way); damage inside the entropy-coded
    data it decodes to wrong pixels without an error (0 of 36 refused), so decoding every
    coefficient (17 ms of CPU for a 2000x1500 photo at 1/8 scale) bought nothing more. A
    single-scan JPEG (every camera's baseline) is therefore decoded from its headers and the
    first 64 KB of its scan, cut off there with an end-of-image marker; a JPEG of several
    scans (progressive) has headers all through, and is decoded whole at 1/8 scale (ADR 11).
    """
    scan = kept.find(b"\xff\xda")
    sample = kept
    # An SOS marker cannot occur in entropy-coded data; a table's bytes may look like one,
    # which only sends the photo the slower way.
    if scan > 0 and kept.count(b"\xff\xda") == 1 and len(kept) > scan + _SCAN_SAMPLE:
        sample = kept[: scan + _SCAN_SAMPLE] + b"\xff\xd9"
    check = Image.open(BytesIO(sample), formats=["JPEG"])
    if check.size != image.size or check.mode != image.mode:
        raise UnsupportedMediaError(_NOT_AN_IMAGE)
    check.draft(check.mode, (max(1, image.width // 8), max(1, image.height // 8)))
    check.load()


@contextmanager
def _pillow_errors() -> Iterator[None]:
    """Map every failure of Pillow on hostile input to a core error."""
    with warnings.catch_warnings():
        # Pillow only warns between 1x and 2x its own limit; never decode such an image.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            yield
        except XrayError:
            raise
        except (
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,
            MemoryError,
        ) as exc:
            raise TooLargeError(_TOO_LARGE) from exc
        # Malformed input makes Pillow raise OSError, SyntaxError, ValueError,
        # struct.error, EOFError and more: none may escape as a server error.
        except Exception as exc:
            raise UnsupportedMediaError(_NOT_AN_IMAGE) from exc


def _to_png(image: Image.Image) -> bytes:
    upright = ImageOps.exif_transpose(image)
    if upright.mode.startswith("I"):
        # 16-bit greyscale: scale to 8 bits, as a plain conversion would clip to white.
        upright = upright.convert("I").point(lambda value: value / 256).convert("L")
    clean = upright.convert("RGBA" if upright.has_transparency_data else "RGB")
    # Drop EXIF, XMP, text and ICC: the PNG encoder would copy some of them from info.
    clean.info.clear()
    out = BytesIO()
    clean.save(out, format="PNG", compress_level=1)
    return out.getvalue()
