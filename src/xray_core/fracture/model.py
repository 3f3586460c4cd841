"""Value objects and limits of the fracture tool."""

from __future__ import annotations

from dataclasses import dataclass

MAX_POINTS = 2000
MIN_WIDTH = 1.0
MAX_WIDTH = 400.0
MAX_SCALE = 64.0
MAX_NOISE = 100.0


@dataclass(frozen=True, slots=True)
class Stroke:
    """A painted stroke in result image pixels: a polyline and its width."""

    points: tuple[tuple[float, float], ...]
    width: float
