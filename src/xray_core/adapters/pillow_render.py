"""Pixel work with Pillow: reducing photos, turning them upright, PNGs and web sizes."""

from __future__ import annotations

import math
from io import BytesIO

from PIL import Image, ImageChops, ImageStat

from xray_core.images.model import StoredPhoto

MIN_PSNR = 40.0
# 4:4:4 JPEG at these qualities, tried in turn: 95 gave 43.7 dB on a noisy camera photo
# reduced to 2048x1536 (bench/bench_images.py); the higher ones are for harder pictures.
_QUALITIES = (95, 98)
_ORIENTATION_TAG = 0x0112
_TURNS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_DRAFT_SLACK = 0.95
_WEBP_QUALITY = {True: 75, False: 80}  # thumbnails, web sizes


def orientation(image: Image.Image) -> int:
    """Return the EXIF orientation of ``image`` (1, upright, when absent or nonsense)."""
    value = image.getexif().get(_ORIENTATION_TAG, 1)
    return value if isinstance(value, int) and value in _TURNS else 1


def upright(image: Image.Image, turn: int) -> Image.Image:
    """Return ``image`` turned by EXIF orientation ``turn``, as 8-bit RGB or RGBA."""
    if image.mode.startswith("I"):
        # 16-bit greyscale: scale to 8 bits, as a plain conversion would clip to white.
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    if turn in _TURNS:
        image = image.transpose(_TURNS[turn])
    target = "RGBA" if image.has_transparency_data else "RGB"
    clean = image if image.mode == target else image.convert(target)
    clean.info.clear()  # encoders copy EXIF, XMP, text and ICC from info
    return clean


def to_png(image: Image.Image, turn: int) -> bytes:
    """Return ``image`` (loaded) turned by ``turn`` as a PNG without metadata."""
    out = BytesIO()
    upright(image, turn).save(out, format="PNG", compress_level=1)
    return out.getvalue()


def reduce(image: Image.Image, max_edge: int) -> StoredPhoto:
    """Return ``image`` (opened, not loaded) upright, long side ``max_edge``, kept once.

    JPEGs are decoded at a reduced scale first (libjpeg's 1/2, 1/4, 1/8 in the DCT domain,
    several times cheaper than a full decode), allowing a result up to 5% under the target:
    a 4000x3000 photo decodes at 2000x1500 and is brought to 2048x1536 by bicubic, 45 dB
    from a full decode resized with Lanczos, for half the CPU (ADR 5).
    """
    turn = orientation(image)
    width, height = image.size
    scale = max_edge / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if image.format == "JPEG":
        image.draft("RGB", (int(size[0] * _DRAFT_SLACK), int(size[1] * _DRAFT_SLACK)))
    image.load()
    if image.mode not in {"RGB", "RGBA", "L", "LA"}:
        image = upright(image, 1)  # 16-bit, palette, CMYK: to 8-bit RGB(A) before resizing
    small = upright(image.resize(size, Image.Resampling.BICUBIC), turn)
    if small.mode == "RGBA":
        out = BytesIO()
        small.save(out, format="PNG", compress_level=1)
        return StoredPhoto(out.getvalue(), "png")
    for quality in _QUALITIES:
        data = _jpeg(small, quality)
        if psnr(small, Image.open(BytesIO(data))) >= MIN_PSNR:
            return StoredPhoto(data, "jpeg")
    out = BytesIO()
    small.save(out, format="PNG", compress_level=1)
    return StoredPhoto(out.getvalue(), "png")


def preview(image: Image.Image, turn: int, max_edge: int) -> bytes:
    """Return a WebP of ``image`` (opened, not loaded), upright, long side <= ``max_edge``."""
    if image.format == "JPEG":
        image.draft("RGB", (max_edge, max_edge))
    image.load()
    small = upright(image, turn)
    small.thumbnail((max_edge, max_edge), Image.Resampling.LANCZOS, reducing_gap=2.0)
    out = BytesIO()
    small.save(out, format="WEBP", quality=_WEBP_QUALITY[max_edge <= 400], method=3)
    return out.getvalue()


def psnr(reference: Image.Image, other: Image.Image) -> float:
    """Return the PSNR of ``other`` against ``reference`` in dB (RGB, 8 bits)."""
    rgb = [im if im.mode == "RGB" else im.convert("RGB") for im in (reference, other)]
    diff = ImageChops.difference(*rgb)
    mse = sum(rms * rms for rms in ImageStat.Stat(diff).rms) / 3
    return math.inf if mse == 0 else 10 * math.log10(255 * 255 / mse)


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = BytesIO()
    image.save(out, format="JPEG", quality=quality, subsampling=0)
    return out.getvalue()
