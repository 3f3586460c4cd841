"""Ports of the fracture tool."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from xray_core.fracture.model import Stroke


class FracturePainter(Protocol):
    """Draws a fracture into an x-ray along a stroke the doctor painted.

    Only pixels near the stroke change (within about twice its width); every other pixel of
    the returned image equals the input's. The same input gives the same output.
    """

    def paint(
        self,
        xray_png: bytes,
        points: Sequence[tuple[float, float]],
        width: float,
        *,
        jitter: float = 1.0,
    ) -> bytes:
        """Return ``xray_png`` (PNG) with a jagged dark crack along ``points``, as PNG.

        Args:
            xray_png: the result image.
            points: the stroke, at least two points, in the image's pixel coordinates.
            width: the stroke's width in pixels: the crack's zigzag and offset scale with it.
            jitter: how ragged the crack is (1.0 the normal look, 0 a straight crack).
        """
        ...

    def trace(self, overlay_png: bytes, x: float, y: float, scale: float) -> Stroke | None:
        """Return the stroke an overlay shows, in result pixels; ``None`` if it is empty.

        The overlay is a PNG whose opaque pixels mark the painted stroke; scaled by
        ``scale`` it sits with its top left corner at ``(x, y)`` on the result.

        Raises:
            xray_core.errors.UnsupportedMediaError: the overlay is not a PNG.
            xray_core.errors.TooLargeError: the overlay has too many pixels.
        """
        ...
