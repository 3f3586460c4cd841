"""Ports of the worker registry."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from xray_core.workers.model import WorkerRecord


class WorkerRepository(Protocol):
    """Stores one record per worker name. Used inside a unit of work only."""

    def get(self, name: str, *, lock: bool = False) -> WorkerRecord | None:
        """Return the record of ``name``, locking its row until the unit of work ends if asked."""
        ...

    def add_if_missing(self, record: WorkerRecord) -> None:
        """Store ``record`` unless a record of that name exists (never fails on a race)."""
        ...

    def save(self, record: WorkerRecord) -> None:
        """Overwrite the stored record of ``record.name``."""
        ...

    def all(self) -> list[WorkerRecord]:
        """Return every record, most recently seen first."""
        ...

    def held_slots(self, now: datetime) -> dict[str, int]:
        """Return, per worker name, how many unfilled slots it holds an unexpired lease on."""
        ...
