"""Reading QR codes from webcam frames that a booth page sends (``POST /qr/decode``)."""

from __future__ import annotations

from xray_core.errors import InvalidInputError, TooLargeError
from xray_core.qr.ports import QRDecoder

MAX_FRAME_BYTES = 2 * 1024 * 1024


class QRFrameReader:
    """Decodes small camera frames for pages whose browser has no ``BarcodeDetector``."""

    def __init__(self, decoder: QRDecoder, max_bytes: int = MAX_FRAME_BYTES) -> None:
        self._decoder = decoder
        self.max_bytes = max_bytes

    def read(self, frame: bytes) -> str | None:
        """Return the text of the QR code in ``frame``, or ``None`` if there is none.

        Raises:
            InvalidInputError: the frame is empty.
            TooLargeError: the frame is over ``max_bytes`` or has too many pixels.
            UnsupportedMediaError: the frame is not a JPEG, PNG or WebP image.
        """
        if not frame:
            raise InvalidInputError("frame: the file is empty")
        if len(frame) > self.max_bytes:
            raise TooLargeError(
                f"frame: {len(frame):,} bytes, at most {self.max_bytes:,} allowed "
                "(send a small frame, e.g. 640x480 JPEG)"
            )
        return self._decoder.decode(frame)
