"""Camera-like photos made by the benchmark: smooth content plus sensor noise, JPEG q92."""

from __future__ import annotations

import functools
import io
from pathlib import Path

from PIL import Image, ImageChops, ImageFilter

ROOT = Path(__file__).resolve().parents[1]


@functools.cache
def noisy_jpeg(width: int, height: int, sigma: float = 6.0, quality: int = 92) -> bytes:
    """Return a ``width`` x ``height`` JPEG: soft colour shapes plus Gaussian noise (``sigma``).

    Chroma is kept at full resolution (4:4:4), as many cameras do at high quality: that is
    what makes a 2000x1500 photo weigh about 1.5 MB, like the issue's camera photo.
    """
    teddy = Image.open(ROOT / "tests" / "assets" / "teddy.jpg").convert("RGB")
    base = teddy.resize((width, height), Image.Resampling.BICUBIC).filter(
        ImageFilter.GaussianBlur(max(1, width // 800))
    )
    noise = Image.merge("RGB", [Image.effect_noise((width, height), sigma) for _ in range(3)])
    noisy = ImageChops.add(base, noise, scale=1.0, offset=-128)
    out = io.BytesIO()
    noisy.save(out, "JPEG", quality=quality, subsampling=0)
    return out.getvalue()


@functools.cache
def result_png(target_kib: int = 300) -> bytes:
    """Return a result-like PNG of about ``target_kib`` KiB (the worker's x-ray)."""
    xray = Image.open(ROOT / "tests" / "assets" / "bluemonkey_post.png").convert("RGB")
    side = xray.width
    while True:
        out = io.BytesIO()
        xray.resize((side, side * xray.height // xray.width)).save(out, "PNG")
        if out.tell() <= target_kib * 1024 or side < 200:
            return out.getvalue()
        side = int(side * 0.85)
