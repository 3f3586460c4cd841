"""One QR code as a small SVG (the home page's "join from your phone" code)."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg


def qr_svg(text: str) -> bytes:
    """Return an SVG of the QR code of ``text`` (a path per module row, black on white)."""
    code = qrcode.QRCode(border=2, image_factory=qrcode.image.svg.SvgPathFillImage)
    code.add_data(text)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return buffer.getvalue()
