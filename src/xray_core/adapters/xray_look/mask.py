"""Finding the toy in a photo: a silhouette mask at working resolution."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import ndimage
from skimage.color import rgb2lab

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float32]

# Lightness counts half: shadows on the backdrop are darker but not more colourful.
_LIGHTNESS_WEIGHT = 0.5
# Below this share of the picture the "toy" is noise, above it the backdrop was not found.
_MIN_AREA, _MAX_AREA = 0.005, 0.92


def distance_map(mask: BoolArray) -> FloatArray:
    """Return each pixel's distance to the nearest background pixel or the picture's edge."""
    padded = np.pad(mask, 1)
    return np.asarray(ndimage.distance_transform_edt(padded), dtype=np.float32)[1:-1, 1:-1]


def _dilate(mask: BoolArray, radius: float) -> BoolArray:
    """Grow ``mask`` by a disc of ``radius`` pixels."""
    inverse = np.asarray(ndimage.distance_transform_edt(~mask), dtype=np.float32)
    return inverse <= radius


def _erode(mask: BoolArray, radius: float) -> BoolArray:
    """Shrink ``mask`` by a disc of ``radius`` pixels (the picture's edge does not erode)."""
    inside = np.asarray(ndimage.distance_transform_edt(mask), dtype=np.float32)
    return inside > radius


def segment_toy(rgb: FloatArray) -> BoolArray | None:
    """Return the toy's silhouette in a photo taken on a light, plain backdrop.

    Args:
        rgb: the photo at working resolution, shape (h, w, 3), values in [0, 1].

    Returns:
        The mask of the largest toy-like region, or None if there is none (a blank photo)
        or the backdrop cannot be told apart from the toy.
    """
    height, width = rgb.shape[:2]
    if min(height, width) < 8:
        return None
    lab = np.asarray(rgb2lab(rgb), dtype=np.float32)
    frame = max(2, round(0.03 * max(height, width)))
    border = _border(lab, frame).reshape(-1, 3)
    backdrop = np.median(border, axis=0)
    delta = lab - backdrop
    delta[..., 0] *= _LIGHTNESS_WEIGHT
    distance = np.asarray(
        ndimage.gaussian_filter(np.sqrt(np.sum(delta * delta, axis=-1)), 1.0), dtype=np.float32
    )
    edge = _border(distance, frame).ravel()
    centre = float(np.median(edge))
    noise = centre + 6.0 * float(np.median(np.abs(edge - centre)))
    high = max(noise + 6.0, 8.0)
    if float(distance.max()) <= high:
        return None
    high = max(high, _otsu(distance))
    low = max(noise + 3.0, 5.0, 0.25 * high)
    # Hysteresis: faint parts (a cream belly, a white paw) count if they touch clear ones.
    labels, _ = ndimage.label(distance > low)
    keep = np.unique(labels[distance > high])
    mask = _tidy(np.isin(labels, keep[keep > 0]), max(1.0, 0.01 * max(height, width)))
    if mask is None or not _MIN_AREA <= float(mask.mean()) <= _MAX_AREA:
        return None
    return mask


def _otsu(values: FloatArray) -> float:
    """Return the threshold that best splits ``values`` into two classes (Otsu's method)."""
    counts, edges = np.histogram(values, bins=256)
    centres = (edges[:-1] + edges[1:]) / 2
    below = np.cumsum(counts)
    above = below[-1] - below
    sum_below = np.cumsum(counts * centres)
    mean_below = sum_below / np.maximum(below, 1)
    mean_above = (sum_below[-1] - sum_below) / np.maximum(above, 1)
    spread = below * above * (mean_below - mean_above) ** 2
    return float(centres[int(np.argmax(spread))])


def _border(image: npt.NDArray[np.float32], frame: int) -> npt.NDArray[np.float32]:
    """Return the pixels of a ``frame``-wide strip along the picture's edges."""
    parts = [image[:frame], image[-frame:], image[:, :frame], image[:, -frame:]]
    return np.concatenate([part.reshape(-1, *image.shape[2:]) for part in parts])


def _tidy(mask: BoolArray, radius: float) -> BoolArray | None:
    """Close gaps, fill holes, drop specks and keep the largest part, with a smooth edge."""
    mask = _erode(_dilate(mask, radius), radius)
    mask = np.asarray(ndimage.binary_fill_holes(mask), dtype=np.bool_)
    mask = _dilate(_erode(mask, 0.7 * radius), 0.7 * radius)
    labels, count = ndimage.label(mask)
    if count == 0:
        return None
    sizes = np.bincount(labels.ravel())[1:]
    mask = np.asarray(ndimage.binary_fill_holes(labels == 1 + int(np.argmax(sizes))))
    smooth = np.asarray(ndimage.gaussian_filter(mask.astype(np.float32), 1.5), dtype=np.float32)
    return smooth > 0.5


def fallback_mask(height: int, width: int) -> BoolArray:
    """Return a centred teddy-shaped silhouette for photos in which no toy was found."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    size = float(min(height, width))
    cx = width / 2.0

    def ellipse(x: float, y: float, rx: float, ry: float) -> BoolArray:
        inside = ((xs - x) / (rx * size)) ** 2 + ((ys - y) / (ry * size)) ** 2 <= 1.0
        return np.asarray(inside, dtype=np.bool_)

    top = height / 2.0 - 0.36 * size
    parts = [
        ellipse(cx, top + 0.2 * size, 0.17, 0.16),  # head
        ellipse(cx - 0.14 * size, top + 0.07 * size, 0.06, 0.06),  # ears
        ellipse(cx + 0.14 * size, top + 0.07 * size, 0.06, 0.06),
        ellipse(cx, top + 0.5 * size, 0.17, 0.2),  # belly
        ellipse(cx - 0.2 * size, top + 0.42 * size, 0.12, 0.05),  # arms
        ellipse(cx + 0.2 * size, top + 0.42 * size, 0.12, 0.05),
        ellipse(cx - 0.1 * size, top + 0.68 * size, 0.06, 0.07),  # legs
        ellipse(cx + 0.1 * size, top + 0.68 * size, 0.06, 0.07),
    ]
    return np.asarray(np.logical_or.reduce(parts), dtype=np.bool_)
