"""Helpers of the fracture tests: pixel comparisons near and far from a stroke."""

from __future__ import annotations

import io
import itertools

import numpy as np
from PIL import Image, ImageDraw

STROKE = [[300.0, 500.0], [420.0, 520.0], [560.0, 505.0]]
WIDTH = 24.0


def pixels(png: bytes) -> np.ndarray:
    """Return an image's RGB pixels as an array."""
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def near_stroke(shape: tuple[int, ...], points: list[list[float]], radius: float) -> np.ndarray:
    """Return a mask of the pixels within ``radius`` of the polyline ``points``."""
    mask = Image.new("L", (shape[1], shape[0]), 0)
    draw = ImageDraw.Draw(mask)
    flat = [(x, y) for x, y in points]
    draw.line(flat, fill=255, width=int(2 * radius), joint="curve")
    for x, y in flat:
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
    return np.asarray(mask) > 0


def assert_changed_only_along(
    before: bytes, after: bytes, points: list[list[float]], width: float
) -> None:
    """Pixels far from the stroke are identical; pixels all along it changed."""
    a, b = pixels(before), pixels(after)
    assert a.shape == b.shape
    changed = np.any(a != b, axis=2)
    far = ~near_stroke(a.shape, points, 2.5 * width)
    assert not changed[far].any(), f"{int(changed[far].sum())} pixels changed far from the stroke"
    # Along the stroke: every short piece of it has changed pixels right on it.
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        for t in np.linspace(0.1, 0.9, 5):
            x, y = x0 + (x1 - x0) * t, y0 + (y1 - y0) * t
            box = changed[int(y - width) : int(y + width), int(x - width / 2) : int(x + width / 2)]
            assert box.any(), f"nothing changed at ({x:.0f}, {y:.0f}) on the stroke"


def overlay_png(size: tuple[int, int], line: list[tuple[int, int]], width: int) -> bytes:
    """Return a transparent RGBA PNG with an opaque painted line (the original front end's)."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    if line:
        ImageDraw.Draw(image).line(line, fill=(255, 0, 0, 255), width=width)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
