"""Ports of the carousel feature."""

from __future__ import annotations

from typing import Protocol

from xray_core.carousel.model import CarouselItem


class CarouselRepository(Protocol):
    """Keeps carousel entries."""

    def add(self, item: CarouselItem) -> None:
        """Put ``item`` at the front of the carousel."""
        ...

    def latest(self, limit: int) -> list[CarouselItem]:
        """Return at most ``limit`` items, newest first."""
        ...

    def referenced_keys(self) -> set[str]:
        """Return every blob key an entry points at."""
        ...

    def remove_jobs(self, job_ids: set[int]) -> int:
        """Remove the entries of these jobs (a family's deleted pictures); return how many."""
        ...

    def delete_all(self) -> int:
        """Remove every entry; return how many."""
        ...
