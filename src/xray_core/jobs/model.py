"""Domain types of the job queue.

A job wants ``results_per_image`` results; each is a :class:`Slot`. A slot is *open* while
it is neither leased nor filled, *leased* while a worker holds an unexpired lease on it and
*filled* once a result arrived. Expired leases count as open, so no background sweeper is
needed: expiry is evaluated whenever a slot is looked at.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from xray_core.jobs.errors import (
    JobAlreadyConfirmedError,
    JobCancelledError,
    JobCompleteError,
    LeaseLostError,
)


class JobStatus(StrEnum):
    """Where a job is in its life."""

    ACTIVE = "active"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class ConfirmAction(StrEnum):
    """What the doctor decides about a job's results."""

    CONFIRM = "confirm"
    RETRY = "retry"
    CANCEL = "cancel"


@dataclass(frozen=True, slots=True)
class JobInfo:
    """What the doctor typed in at the booth."""

    first_name: str
    last_name: str
    animal_name: str
    animal_type: str
    qr_content: str
    broken_bone: bool = False


@dataclass(frozen=True, slots=True)
class Slot:
    """One wanted result of a job."""

    index: int
    lease_id: str | None = None
    leased_until: datetime | None = None
    result_key: str | None = None
    filled_at: datetime | None = None
    worker: str | None = None
    claimed_at: datetime | None = None
    # Who last reported that generating this slot failed, and when (see Job.shuns).
    failed_by: str | None = None
    failed_at: datetime | None = None

    @property
    def filled(self) -> bool:
        """Whether a result has arrived for this slot."""
        return self.result_key is not None

    def leased(self, now: datetime) -> bool:
        """Whether a worker holds an unexpired lease on this unfilled slot."""
        return not self.filled and self.leased_until is not None and self.leased_until > now

    def open(self, now: datetime) -> bool:
        """Whether this slot may be handed out (neither filled nor validly leased)."""
        return not self.filled and not self.leased(now)

    def lease(
        self,
        lease_id: str,
        until: datetime,
        *,
        worker: str | None = None,
        now: datetime | None = None,
    ) -> Slot:
        """Return this slot leased to ``lease_id`` until ``until`` (claimed by ``worker``)."""
        return replace(self, lease_id=lease_id, leased_until=until, worker=worker, claimed_at=now)

    def fill(self, result_key: str, now: datetime) -> Slot:
        """Return this slot holding the result stored under ``result_key``."""
        return replace(self, result_key=result_key, filled_at=now, leased_until=None)

    def reset(self) -> Slot:
        """Return this slot open again, without lease, result or failure."""
        return Slot(index=self.index)

    def failing(self, now: datetime) -> Slot:
        """Return this slot open again, remembering that its worker failed it at ``now``."""
        return Slot(index=self.index, failed_by=self.worker, failed_at=now)


@dataclass(frozen=True, slots=True)
class NewJob:
    """A job about to be stored."""

    info: JobInfo
    original_key: str
    slot_count: int
    created_at: datetime
    workflow: str = ""


@dataclass(frozen=True, slots=True)
class Job:
    """A stored job with its slots."""

    id: int
    info: JobInfo
    original_key: str
    created_at: datetime
    status: JobStatus
    slots: tuple[Slot, ...]
    workflow: str = ""
    attempts: int = 0
    failures: tuple[str, ...] = ()

    def failed(self, max_attempts: int | None) -> bool:
        """Whether generation failed ``max_attempts`` times (the job is handed out no more)."""
        return max_attempts is not None and self.attempts >= max_attempts

    def shuns(self, worker: str, since: datetime) -> bool:
        """Whether ``worker`` reported a failure on this job after ``since``.

        Such a job is left to other workers for a while, so that one broken worker (a GPU
        whose driver crashed) cannot use up a job's attempts alone while others are idle.
        """
        return any(
            s.failed_by == worker and s.failed_at is not None and s.failed_at > since
            for s in self.slots
        )

    def claimable_slot(self, now: datetime, max_attempts: int | None = None) -> Slot | None:
        """Return the first open slot, or ``None`` if every slot is leased or filled."""
        if self.status is not JobStatus.ACTIVE or self.failed(max_attempts):
            return None
        return next((s for s in self.slots if s.open(now)), None)

    def results(self) -> list[Slot]:
        """Return the filled slots in order of arrival: option ``i`` is ``results()[i]``."""
        filled = [s for s in self.slots if s.filled]
        return sorted(filled, key=lambda s: (s.filled_at or self.created_at, s.index))

    @property
    def complete(self) -> bool:
        """Whether every slot holds a result."""
        return all(s.filled for s in self.slots)

    def ensure_active(self) -> None:
        """Raise unless the job still takes results and decisions."""
        if self.status is JobStatus.CONFIRMED:
            raise JobAlreadyConfirmedError(self.id)
        if self.status is JobStatus.CANCELLED:
            raise JobCancelledError(self.id)

    def slot_for_result(self, lease_id: str | None) -> Slot:
        """Return the slot a result fills.

        With a lease id: the unfilled slot holding that lease, even if the lease expired, as
        long as nobody else was handed the slot since. Without one (workers that predate
        leases): the slot leased longest ago, else the first open one.

        Raises:
            JobAlreadyConfirmedError, JobCancelledError: the job is closed.
            JobCompleteError: every slot is filled.
            LeaseLostError: the lease is not held by any unfilled slot any more.
        """
        self.ensure_active()
        unfilled = [s for s in self.slots if not s.filled]
        if not unfilled:
            raise JobCompleteError(self.id)
        if lease_id is not None:
            for slot in unfilled:
                if slot.lease_id == lease_id:
                    return slot
            raise LeaseLostError(self.id, lease_id)
        leased = [s for s in unfilled if s.leased_until is not None]
        if leased:
            return min(leased, key=lambda s: (s.leased_until, s.index))
        return unfilled[0]

    def with_result(self, slot: Slot, result_key: str, now: datetime) -> Job:
        """Return this job with ``slot`` filled; arrival times stay strictly increasing.

        Option numbers follow arrival order, so a result arriving in the same clock tick as
        an earlier one must still sort after it.
        """
        times = [s.filled_at for s in self.slots if s.filled_at is not None]
        at = max(now, max(times) + timedelta(microseconds=1)) if times else now
        return self.with_slot(slot.fill(result_key, at))

    def with_slot(self, slot: Slot) -> Job:
        """Return this job with the slot of the same index replaced by ``slot``."""
        return replace(self, slots=tuple(slot if s.index == slot.index else s for s in self.slots))

    def without_results(self) -> Job:
        """Return this job with every slot open again."""
        return replace(self, slots=tuple(s.reset() for s in self.slots))

    def with_lease_extended(self, lease_id: str, until: datetime, now: datetime) -> Job:
        """Return this job with the live lease ``lease_id`` running until ``until``.

        Raises:
            JobAlreadyConfirmedError, JobCancelledError: the job is closed.
            LeaseLostError: the lease expired, was handed to another worker, or its slot
                was filled or reset (a retry).
        """
        self.ensure_active()
        for slot in self.slots:
            if slot.lease_id == lease_id and slot.leased(now):
                return self.with_slot(replace(slot, leased_until=until))
        raise LeaseLostError(self.id, lease_id)

    def with_failure(self, slot: Slot, reason: str, now: datetime) -> Job:
        """Return this job with ``slot`` open again and one more failed attempt."""
        job = self.with_slot(slot.failing(now))
        return replace(job, attempts=self.attempts + 1, failures=(*self.failures, reason))


@dataclass(frozen=True, slots=True)
class Claim:
    """A slot leased to a worker by ``GET /job``, with the photo to work on."""

    job: Job
    slot: Slot
    lease_id: str
    photo: bytes
    photo_type: str = "image/png"


@dataclass(frozen=True, slots=True)
class Upload:
    """The answer to an upload."""

    job_id: int
    current_jobs: int


@dataclass(frozen=True, slots=True)
class Confirmed:
    """A confirmed pair: the original photo and the chosen x-ray."""

    job_id: int
    info: JobInfo
    original_key: str
    xray_key: str
    confirmed_at: datetime


@dataclass(frozen=True, slots=True)
class JobCounts:
    """How many cases are in each status, and how many result slots wait for a worker."""

    by_status: dict[JobStatus, int]
    waiting_slots: int
