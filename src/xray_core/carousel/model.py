"""Domain types of the carousel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class CarouselItem:
    """One confirmed pair on the screen."""

    job_id: int
    xray_key: str
    original_key: str
    created_at: datetime
