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


class CarouselIndexFormatError(NotFoundError):
    """The carousel index is not a number (no item can have it)."""

    def __init__(self, index: str) -> None:
        super().__init__(f"carousel index {index[:20]!r} is not a number")


class CarouselJobError(NotFoundError):
    """No item of this job is on the screen (any more)."""

    def __init__(self, job_id: int) -> None:
        super().__init__(f"job {job_id} has no image on the carousel")
