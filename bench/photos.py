"""Camera-like test photos made on the fly: smooth content plus sensor noise, JPEG q92."""

from __future__ import annotations

import functools
import io

import numpy as np
from PIL import Image


@functools.cache
def noisy_jpeg(width: int, height: int, sigma: float = 6.0, quality: int = 92) -> bytes:
    """Return a JPEG of smooth gradients and blobs with Gaussian noise of ``sigma`` grey levels."""
    rng = np.random.default_rng(width * 7919 + height)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    x /= width
    y /= height
    base = np.stack(
        [
            128 + 90 * np.sin(3.1 * x + 1.3 * y),
            128 + 80 * np.cos(2.3 * y - 1.7 * x),
            128 + 70 * np.sin(4.0 * (x - 0.5) * (y - 0.4) + 0.5),
        ],
        axis=-1,
    )
    for _ in range(6):  # a few soft shapes, like a toy on a table
        cx, cy, r = rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9), rng.uniform(0.05, 0.2)
        blob = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r))[..., None]
        base = base * (1 - 0.6 * blob) + 0.6 * blob * rng.uniform(30, 220, size=3)
    noisy = base + rng.normal(0.0, sigma, size=base.shape)
    pixels = np.clip(noisy, 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()
