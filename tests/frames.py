"""Webcam-like frames: a QR code printed on a flyer, held up in front of a photo."""

from __future__ import annotations

import io

import qrcode
from PIL import Image

from tests.images import ASSETS

OWNER_URL = "http://192.168.1.20:8000/p/3q2-k7Jx9wLmN4pR8sT1vY6zA0bC"


def qr_frame(text: str = OWNER_URL, size: tuple[int, int] = (640, 480), fmt: str = "JPEG") -> bytes:
    """Return a webcam-sized frame of ``tests/assets/teddy.jpg`` with a QR code of ``text``."""
    code = qrcode.make(text, border=2).get_image().convert("RGB")
    scene = teddy_scene((size[0] * 2, size[1] * 2))
    side = min(scene.size) // 2
    scene.paste(code.resize((side, side)), (scene.size[0] // 8, scene.size[1] // 4))
    return _encode(scene.resize(size, Image.Resampling.BILINEAR), fmt)


def photo_frame(size: tuple[int, int] = (640, 480)) -> bytes:
    """Return ``teddy.jpg`` as a webcam frame (JPEG) with no QR code in it."""
    return _encode(teddy_scene(size), "JPEG")


def teddy_scene(size: tuple[int, int]) -> Image.Image:
    """Return ``teddy.jpg`` cropped to the aspect of ``size`` and scaled to it."""
    photo = Image.open(ASSETS / "teddy.jpg").convert("RGB")
    ratio = size[0] / size[1]
    w, h = photo.size
    crop_w, crop_h = (w, int(w / ratio)) if w / h < ratio else (int(h * ratio), h)
    left, top = (w - crop_w) // 2, (h - crop_h) // 2
    return photo.crop((left, top, left + crop_w, top + crop_h)).resize(size)


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, quality=85) if fmt == "JPEG" else image.save(out, fmt)
    return out.getvalue()
