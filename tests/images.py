"""Small real images made on the fly, and the real photos in tests/assets."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageChops

ASSETS = Path(__file__).parent / "assets"


def asset(name: str) -> bytes:
    """Return the bytes of a photo in tests/assets."""
    return (ASSETS / name).read_bytes()


def png(width: int = 32, height: int = 24, colour: tuple[int, int, int] = (200, 120, 40)) -> bytes:
    """Return a small valid PNG."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg(width: int = 32, height: int = 24, colour: tuple[int, int, int] = (90, 160, 220)) -> bytes:
    """Return a small valid JPEG."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def camera_jpeg(width: int, height: int, sigma: float = 6.0, quality: int = 92) -> bytes:
    """Return a camera-like JPEG: smooth colour gradients plus Gaussian sensor noise."""
    gradient = Image.linear_gradient("L").resize((width, height))
    turned = gradient.transpose(Image.Transpose.ROTATE_90).resize((width, height))
    base = Image.merge("RGB", (gradient, turned, ImageChops.invert(gradient)))
    noise = Image.merge("RGB", [Image.effect_noise((width, height), sigma) for _ in range(3)])
    noisy = ImageChops.add(base, noise, scale=1.0, offset=-128)
    buffer = io.BytesIO()
    noisy.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()
