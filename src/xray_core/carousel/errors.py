"""Errors of the carousel feature."""

from __future__ import annotations

from xray_core.errors import NotFoundError


class CarouselIndexError(NotFoundError):
    """No carousel item has this index."""

    def __init__(self, index: int, size: int) -> None:
        super().__init__(
            f"carousel index {index} is out of range (0..{size - 1})"
            if size
            else f"carousel index {index}: the carousel is empty"
        )
