"""zxing-cpp adapter of :class:`xray_core.qr.ports.QRDecoder`."""

from __future__ import annotations

import warnings
from io import BytesIO

import zxingcpp
from PIL import Image

from xray_core.errors import TooLargeError, UnsupportedMediaError

_FORMATS = ("JPEG", "PNG", "WEBP")
MAX_FRAME_PIXELS = 4_000_000
_QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


class ZxingQRDecoder:
    """Reads QR codes with zxing-cpp from frames decoded by Pillow."""

    def __init__(self, max_pixels: int = MAX_FRAME_PIXELS) -> None:
        """Refuse frames with more than ``max_pixels`` pixels."""
        self._max_pixels = max_pixels

    def decode(self, frame: bytes) -> str | None:
        """Return the text of the first QR code found in ``frame``, else ``None``."""
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            try:
                image = Image.open(BytesIO(frame), formats=_FORMATS)
                self._check_pixels(image.size)
                grey = image.convert("L")
            except TooLargeError:
                raise
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
                raise TooLargeError("frame: the image has too many pixels") from exc
            # Hostile input makes Pillow raise many kinds of error; none may become a 500.
            except Exception as exc:
                msg = "frame: not a JPEG, PNG or WebP image, or truncated"
                raise UnsupportedMediaError(msg) from exc
        found = zxingcpp.read_barcode(grey, formats=_QR)
        return None if found is None or not found.valid else str(found.text)

    def _check_pixels(self, size: tuple[int, int]) -> None:
        """Refuse a frame with too many pixels before any of them is decoded."""
        width, height = size
        if width * height > self._max_pixels:
            msg = (
                f"frame: {width}x{height} pixels, at most {self._max_pixels:,} allowed "
                "(send a small frame, e.g. 640x480)"
            )
            raise TooLargeError(msg)
