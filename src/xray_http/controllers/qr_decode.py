"""``POST /qr/decode``: read the QR code in a webcam frame (browsers lacking BarcodeDetector)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency

from xray_core.qr.reader import QRFrameReader
from xray_http.auth import BEARER, requires_token
from xray_http.controllers._base import errors, in_thread
from xray_http.forms import FormField, file, form_operation, read_form
from xray_http.schemas.api import DecodedQR

# The frame limit is 2 MB; the body limit leaves room for the multipart envelope.
MAX_BODY = 2 * 1024 * 1024 + 64 * 1024
FRAME = FormField("frame", "file", True, "A webcam frame (JPEG, PNG or WebP, <= 2 MB, <= 4 MP).")


class QRDecodeController(Controller):
    """Server-side QR reading for the intake page."""

    guards = [requires_token]  # noqa: RUF012
    security = BEARER

    @post(
        "/qr/decode",
        status_code=200,
        summary="Extension: read the QR code in a small webcam frame",
        operation_class=form_operation(FRAME, multipart=True),
        request_max_body_size=MAX_BODY,
        responses=errors(401, 413, 415, 422),
    )
    async def decode(
        self, request: Request[Any, Any, Any], qr_reader: NamedDependency[QRFrameReader]
    ) -> DecodedQR:
        """Return ``{"text": ...}``, ``null`` when the frame shows no QR code."""
        frame = await file(await read_form(request), "frame")
        return DecodedQR(text=await in_thread(qr_reader.read, frame))
