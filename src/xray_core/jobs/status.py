"""The state of the booth at a glance, for the admin page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from xray_core.jobs.model import Job

RECENT = 10


@dataclass(frozen=True, slots=True)
class BoothStatus:
    """Counts of the pending cases and how long their results took.

    Attributes:
        pending: cases not yet approved or cancelled.
        waiting: pending cases without any result yet.
        ready: pending cases with at least one result to judge.
        queue_depth: result slots no worker holds yet (what ``GET /job`` can hand out).
        being_made: result slots a worker holds right now.
        recent_seconds: seconds from upload to each of the latest results, newest first.
    """

    pending: int
    waiting: int
    ready: int
    queue_depth: int
    being_made: int
    recent_seconds: tuple[float, ...]


def booth_status(jobs: Sequence[Job], now: datetime) -> BoothStatus:
    """Return the status of the pending ``jobs`` as of ``now``."""
    slots = [(job, slot) for job in jobs for slot in job.slots]
    times = sorted(
        (
            (slot.filled_at, (slot.filled_at - job.created_at).total_seconds())
            for job, slot in slots
            if slot.filled_at is not None
        ),
        reverse=True,
    )
    return BoothStatus(
        pending=len(jobs),
        waiting=sum(1 for job in jobs if not job.results()),
        ready=sum(1 for job in jobs if job.results()),
        queue_depth=sum(1 for _, slot in slots if slot.open(now)),
        being_made=sum(1 for _, slot in slots if slot.leased(now)),
        recent_seconds=tuple(round(seconds, 2) for _, seconds in times[:RECENT]),
    )
