"""The state of the booth at a glance, for the admin page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from xray_core.jobs.edits import edit_count
from xray_core.jobs.model import Job, Slot

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


class SlotState(StrEnum):
    """What the doctor sees in one result slot of a pending case."""

    FILLED = "filled"  # a result arrived
    BEING_MADE = "being_made"  # a worker holds a live lease on it
    WAITING = "waiting"  # no worker has it: the next GET /job hands it out
    FAILED = "failed"  # the case failed too often; it waits for Retry or Cancel


@dataclass(frozen=True, slots=True)
class SlotView:
    """One result slot as the review page shows it.

    Attributes:
        state: see :class:`SlotState`.
        worker: who made the result, or who is making it now (``None`` if unknown).
        since: when the result arrived, or when the worker claimed the slot.
        edits: fractures painted on a result (what "Undo" takes back).
    """

    state: SlotState
    worker: str | None = None
    since: datetime | None = None
    edits: int = 0


def slot_views(job: Job, now: datetime, max_attempts: int | None) -> list[SlotView]:
    """Return ``job``'s slots in the order the page shows them.

    Results first, in option order (``results()``), then the slots being made (longest
    first), then the rest: waiting, or failed once the job used up its attempts.
    """
    filled = [
        SlotView(SlotState.FILLED, s.worker, s.filled_at, edit_count(s.result_key or ""))
        for s in job.results()
    ]
    leased = sorted(
        (s for s in job.slots if s.leased(now)), key=lambda s: (_claimed(s, job), s.index)
    )
    making = [SlotView(SlotState.BEING_MADE, s.worker, s.claimed_at) for s in leased]
    rest = SlotState.FAILED if job.failed(max_attempts) else SlotState.WAITING
    left = [SlotView(rest) for s in job.slots if s.open(now)]
    return filled + making + left


def _claimed(slot: Slot, job: Job) -> datetime:
    return slot.claimed_at or job.created_at


@dataclass(frozen=True, slots=True)
class WorkQueue:
    """What waits for the workers right now.

    Attributes:
        waiting_cases: pending cases with a slot a worker could be handed now (failed
            cases wait for the doctor, not for a worker, and are not counted).
        being_made: result slots a worker holds a live lease on.
    """

    waiting_cases: int
    being_made: int


def work_queue(jobs: Sequence[Job], now: datetime, max_attempts: int | None) -> WorkQueue:
    """Return the :class:`WorkQueue` of the pending ``jobs`` as of ``now``."""
    return WorkQueue(
        waiting_cases=sum(1 for j in jobs if j.claimable_slot(now, max_attempts) is not None),
        being_made=sum(1 for j in jobs for s in j.slots if s.leased(now)),
    )
