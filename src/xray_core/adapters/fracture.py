"""Pillow/numpy adapter of :class:`xray_core.fracture.ports.FracturePainter`.

The crack is drawn like the generator's broken bones (``xray_look_bones.with_fracture``):
a dark, jagged line along the stroke, with the image on one side knocked slightly along
it, as if the far piece of the bone had moved. Everything happens in a window around the
stroke; pixels farther than about twice the width from it are copied unchanged.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Sequence
from io import BytesIO

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from xray_core.errors import TooLargeError, UnsupportedMediaError
from xray_core.fracture.model import Stroke

Floats = NDArray[np.float64]
MAX_OVERLAY_PIXELS = 40_000_000
_DARKNESS = 0.7  # how far the crack's core darkens towards black


class PillowFracturePainter:
    """Draws fractures with Pillow (line rasterising) and numpy/scipy (the pixel work)."""

    def paint(
        self,
        xray_png: bytes,
        points: Sequence[tuple[float, float]],
        width: float,
        *,
        jitter: float = 1.0,
    ) -> bytes:
        """Return the x-ray with a crack along ``points``; see the port for the contract."""
        image = _open(xray_png, "PNG")
        mode = (
            "RGBA" if image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info else "RGB"
        )
        pixels = np.asarray(image.convert(mode), dtype=np.uint8).copy()
        path = np.asarray(points, dtype=np.float64)
        reach = int(np.ceil(2.0 * width)) + 4
        h, w = pixels.shape[:2]
        x0 = max(int(np.floor(path[:, 0].min())) - reach, 0)
        y0 = max(int(np.floor(path[:, 1].min())) - reach, 0)
        x1 = min(int(np.ceil(path[:, 0].max())) + reach, w)
        y1 = min(int(np.ceil(path[:, 1].max())) + reach, h)
        if x1 <= x0 or y1 <= y0:
            return xray_png
        window = pixels[y0:y1, x0:x1].astype(np.float64)
        local = path - np.array([x0, y0], dtype=np.float64)
        pixels[y0:y1, x0:x1] = _crack(window, local, width, jitter, _seed(points, width))
        out = BytesIO()
        Image.fromarray(pixels, mode).save(out, format="PNG", compress_level=1)
        return out.getvalue()

    def trace(self, overlay_png: bytes, x: float, y: float, scale: float) -> Stroke | None:
        """Return the painted overlay's centre line and mean width, in result pixels."""
        overlay = _open(overlay_png, "PNG")
        alpha = np.asarray(overlay.convert("RGBA"), dtype=np.uint8)[:, :, 3]
        ys, xs = np.nonzero(alpha > 0)
        if len(xs) < 2:
            return None
        coords = np.column_stack([xs, ys]).astype(np.float64) + 0.5
        centre = coords.mean(axis=0)
        # The stroke's main direction; the centre line is the mean across it per step along.
        _, _, axes = np.linalg.svd(coords - centre, full_matrices=False)
        along, across = axes[0], np.array([-axes[0][1], axes[0][0]])
        t = (coords - centre) @ along
        s = (coords - centre) @ across
        length = max(float(t.max() - t.min()), 1.0)
        thickness = max(len(xs) / length, 1.0)
        bins = int(np.clip(length / max(thickness, 2.0), 2, 200))
        edges = np.linspace(t.min(), t.max() + 1e-9, bins + 1)
        which = np.clip(np.digitize(t, edges) - 1, 0, bins - 1)
        line: list[tuple[float, float]] = []
        for b in range(bins):
            chosen = which == b
            if chosen.any():
                at = centre + along * t[chosen].mean() + across * s[chosen].mean()
                line.append((float(x + at[0] * scale), float(y + at[1] * scale)))
        if len(line) < 2:
            ends = (centre + along * t.min(), centre + along * t.max())
            line = [(float(x + e[0] * scale), float(y + e[1] * scale)) for e in ends]
        return Stroke(tuple(line), float(thickness * scale))


def _crack(
    window: Floats, path: Floats, width: float, jitter: float, seed: int
) -> NDArray[np.uint8]:
    """Return ``window`` (float pixels) with the crack drawn along ``path`` (window pixels)."""
    # Imported here: scipy costs every process that builds the container ~0.5 s otherwise.
    from scipy import ndimage  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    h, w = window.shape[:2]
    line, tangent = _resample(path, max(2.0, 0.5 * width))
    # Irregular spacing and depth of the teeth: a torn edge, not a saw.
    line = line + tangent * rng.uniform(-0.2, 0.2, (len(line), 1)) * width
    normal = np.column_stack([-tangent[:, 1], tangent[:, 0]])
    amplitude = 0.16 * width * min(max(jitter, 0.0), 3.0)
    signs = np.where(np.arange(len(line)) % 2 == 0, 1.0, -1.0)
    signs *= np.where(rng.random(len(line)) < 0.2, -1.0, 1.0)
    offsets = signs * rng.uniform(0.2, 1.0, len(line)) * amplitude
    offsets[[0, -1]] = 0.0
    jagged = line + normal * offsets[:, None]
    thick = max(1.5, 0.07 * width)
    core = Image.new("L", (w, h), 0)
    ImageDraw.Draw(core).line(
        [tuple(p) for p in jagged], fill=255, width=max(1, round(thick)), joint="curve"
    )
    distance = ndimage.distance_transform_edt(np.asarray(core) == 0)
    # The far piece is knocked a little along the crack (one side only, fading out).
    side = Image.new("L", (w, h), 0)
    outer = jagged + normal * (0.9 * width)
    ImageDraw.Draw(side).polygon([tuple(p) for p in np.vstack([jagged, outer[::-1]])], fill=255)
    fade = np.clip(1.0 - distance / (0.9 * width), 0.0, 1.0) * (np.asarray(side) > 0)
    direction = tangent.mean(axis=0)
    direction /= max(float(np.hypot(*direction)), 1e-9)
    shift = 0.22 * width * fade
    rows, cols = np.mgrid[0:h, 0:w].astype(np.float64)
    src_rows = rows - direction[1] * shift
    src_cols = cols - direction[0] * shift
    moved = np.stack(
        [
            ndimage.map_coordinates(window[:, :, c], [src_rows, src_cols], order=1, mode="nearest")
            for c in range(window.shape[2])
        ],
        axis=2,
    )
    # The dark gap itself, with a faint shadow around it that stops within the width.
    profile = np.exp(-np.square(distance / (0.8 * thick)))
    shadow = 0.18 * np.exp(-np.square(distance / (0.5 * width))) * (distance < width)
    dim = 1.0 - np.clip(_DARKNESS * profile + shadow, 0.0, 0.95)
    out = moved.copy()
    out[:, :, :3] *= dim[:, :, None]
    touched = (fade > 0) | (profile + shadow > 1e-3)
    result = np.where(touched[:, :, None], out, window)
    return np.clip(np.rint(result), 0, 255).astype(np.uint8)


def _resample(path: Floats, step: float) -> tuple[Floats, Floats]:
    """Return points every ``step`` pixels along ``path`` and the unit tangent at each."""
    segments = np.diff(path, axis=0)
    lengths = np.hypot(segments[:, 0], segments[:, 1])
    keep = np.concatenate([[True], lengths > 1e-9])
    path = path[keep]
    arc = np.concatenate([[0.0], np.cumsum(lengths[lengths > 1e-9])])
    count = max(int(np.ceil(arc[-1] / step)) + 1, 2)
    at = np.linspace(0.0, arc[-1], count)
    line = np.column_stack([np.interp(at, arc, path[:, 0]), np.interp(at, arc, path[:, 1])])
    tangent = np.gradient(line, axis=0)
    tangent /= np.maximum(np.hypot(tangent[:, 0], tangent[:, 1]), 1e-9)[:, None]
    return line, tangent


def _seed(points: Sequence[tuple[float, float]], width: float) -> int:
    """Return a seed from the stroke, so that the same stroke draws the same crack."""
    text = ";".join(f"{x:.2f},{y:.2f}" for x, y in points) + f";{width:.2f}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _open(data: bytes, kind: str) -> Image.Image:
    """Decode a PNG fully, mapping every Pillow failure to a core error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(BytesIO(data), formats=[kind])
            _check_pixels(image.size)
            image.load()
        except TooLargeError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise TooLargeError("the image has too many pixels") from exc
        # Malformed input makes Pillow raise many kinds of error; none may become a 500.
        except Exception as exc:
            raise UnsupportedMediaError(f"not a {kind} image, or truncated") from exc
        return image


def _check_pixels(size: tuple[int, int]) -> None:
    """Refuse an image with too many pixels before any of them is decoded."""
    if size[0] * size[1] > MAX_OVERLAY_PIXELS:
        raise TooLargeError("the image has too many pixels")
