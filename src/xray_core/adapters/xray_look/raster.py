"""Rasterising bones at full size, each inside its own small box of pixels."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from xray_core.adapters.xray_look.shapes import Shell, Stroke

FloatArray = npt.NDArray[np.float32]
# numpy's stubs widen float32 arithmetic with Python floats; at run time it stays float32.
AnyFloats = npt.NDArray[np.floating[Any]]
Points = npt.NDArray[np.float64]
_Box = tuple[slice, slice, FloatArray, FloatArray]


def draw_bones(
    strokes: tuple[Stroke, ...],
    shells: tuple[Shell, ...],
    size: tuple[int, int],
    scale: tuple[float, float],
) -> FloatArray:
    """Return the bones' density at full size.

    Args:
        strokes: tube-shaped bones in working pixels.
        shells: ellipsoid bones in working pixels.
        size: full (height, width).
        scale: full pixels per working pixel along (x, y).
    """
    layer = np.zeros(size, dtype=np.float32)
    factor = np.array(scale, dtype=np.float64)
    mean = float(factor.mean())
    for stroke in strokes:
        _stroke(layer, stroke, (stroke.points + 0.5) * factor - 0.5, stroke.radii * mean, mean)
    for shell in shells:
        centre = (shell.centre + 0.5) * factor - 0.5
        _shell(layer, shell, centre, (shell.axes[0] * mean, shell.axes[1] * mean))
    return layer


def _window(layer: FloatArray, low: Points, high: Points) -> _Box | None:
    """Return the pixel box from ``low`` to ``high`` (x, y) clipped to the layer, with grids."""
    x0, y0 = max(int(np.floor(low[0])), 0), max(int(np.floor(low[1])), 0)
    x1 = min(int(np.ceil(high[0])) + 1, layer.shape[1])
    y1 = min(int(np.ceil(high[1])) + 1, layer.shape[0])
    if x0 >= x1 or y0 >= y1:
        return None
    xs = np.arange(x0, x1, dtype=np.float32)[None, :]
    ys = np.arange(y0, y1, dtype=np.float32)[:, None]
    return slice(y0, y1), slice(x0, x1), xs, ys


def _tube(distance: AnyFloats, radius: float | AnyFloats, *, solid: bool) -> FloatArray:
    """Return the thickness of a tube crossed at ``distance`` from its axis (walls bright)."""
    ratio = np.square(distance / np.maximum(radius, 1e-3))
    outer = np.sqrt(np.clip(1.0 - ratio, 0.0, None))
    if not solid:
        outer = outer - 0.6 * np.sqrt(np.clip(0.42 - ratio, 0.0, None))
    return np.asarray(outer, dtype=np.float32)


def _stroke(layer: FloatArray, stroke: Stroke, points: Points, radii: Points, scale: float) -> None:
    """Add one tube-shaped bone, given in full-size pixels, to ``layer``."""
    jag_start, jag_end = stroke.jag_start * scale, stroke.jag_end * scale
    period = stroke.jag_period * scale
    reach = float(radii.max()) * 1.5 + max(jag_start, jag_end) + 2.0
    box = _window(layer, points.min(axis=0) - reach, points.max(axis=0) + reach)
    if box is None:
        return
    rows, cols, xs, ys = box
    value = np.zeros((ys.size, xs.size), dtype=np.float32)
    last = len(points) - 2
    for i in range(last + 1):
        # Python floats keep the float32 grids from being promoted to float64.
        x, y = float(points[i, 0]), float(points[i, 1])
        dx, dy = float(points[i + 1, 0]) - x, float(points[i + 1, 1]) - y
        length = float(np.hypot(dx, dy))
        ux, uy = (dx / length, dy / length) if length > 1e-6 else (1.0, 0.0)
        u = (xs - x) * ux + (ys - y) * uy
        v = (ys - y) * ux - (xs - x) * uy
        low = -np.inf if i == 0 and jag_start else 0.0
        high = np.inf if i == last and jag_end else length
        along = np.clip(u / max(length, 1e-6), 0.0, 1.0)
        r0, r1 = float(radii[i]), float(radii[i + 1])
        part = _tube(
            np.hypot(u - np.clip(u, low, high), v), r0 + (r1 - r0) * along, solid=stroke.solid
        )
        # A broken end is torn straight across the bone, with zigzag teeth.
        if i == 0 and jag_start:
            part = np.where(u >= jag_start * _teeth(v, period), part, 0.0)
        if i == last and jag_end:
            part = np.where(u <= length + jag_end * _teeth(v + 0.5 * period, period), part, 0.0)
        value = np.maximum(value, part)
    ends: list[tuple[Points, Points, float]] = []
    if stroke.knob_start and not jag_start:
        ends.append((points[0], points[0] - points[1], float(radii[0])))
    if stroke.knob_end and not jag_end:
        ends.append((points[-1], points[-1] - points[-2], float(radii[-1])))
    for end, outward, radius in ends:
        length = max(float(np.hypot(outward[0], outward[1])), 1e-6)
        ox, oy = float(outward[0]) / length, float(outward[1]) / length
        for sign in (-1.0, 1.0):
            # Two lobes side by side make the knobby head of a long bone.
            cx = float(end[0]) - oy * sign * 0.55 * radius - ox * 0.1 * radius
            cy = float(end[1]) + ox * sign * 0.55 * radius - oy * 0.1 * radius
            knob = _tube(np.hypot(xs - cx, ys - cy), 0.8 * radius, solid=True)
            value = np.maximum(value, 0.95 * knob)
    layer[rows, cols] += stroke.density * value


def _teeth(v: AnyFloats, period: float) -> FloatArray:
    """Return a zigzag in [-0.5, 0.5] across a bone: the torn edge of a fracture."""
    phase = v / max(period, 1e-3)
    return np.asarray(np.abs(phase - np.floor(phase) - 0.5) * 2.0 - 0.5, dtype=np.float32)


def _shell(layer: FloatArray, shell: Shell, centre: Points, axes: tuple[float, float]) -> None:
    """Add one ellipsoidal bone (or hole), given in full-size pixels, to ``layer``."""
    reach = max(axes) + 2.0
    box = _window(layer, centre - reach, centre + reach)
    if box is None:
        return
    rows, cols, xs, ys = box
    cos, sin = float(np.cos(shell.angle)), float(np.sin(shell.angle))
    px, py = xs - float(centre[0]), ys - float(centre[1])
    ratio = np.square((px * cos + py * sin) / max(axes[0], 1e-3)) + np.square(
        (py * cos - px * sin) / max(axes[1], 1e-3)
    )
    outer = np.sqrt(np.clip(1.0 - ratio, 0.0, None))
    if shell.rim < 1.0:
        # A hollow shell: the chord through the outer minus the inner ellipsoid.
        hollow = (1.0 - shell.rim) ** 2
        outer = (outer - np.sqrt(np.clip(hollow - ratio, 0.0, None))) / np.sqrt(1.0 - hollow)
    layer[rows, cols] += shell.density * outer
