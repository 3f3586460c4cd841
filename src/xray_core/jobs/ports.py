"""Ports of the job feature."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from xray_core.jobs.model import Job, JobStatus, NewJob


class JobRepository(Protocol):
    """Stores jobs and their slots. Used inside a unit of work only.

    Atomicity: ``get(..., lock=True)`` and ``next_claimable`` lock the job they return until
    the unit of work ends, so that two units of work never change one job at once.
    """

    def add(self, job: NewJob) -> int:
        """Store a new job with ``job.slot_count`` open slots and return its id."""
        ...

    def get(self, job_id: int, *, lock: bool = False) -> Job | None:
        """Return the job (active or confirmed), or ``None`` if there is none."""
        ...

    def next_claimable(
        self,
        now: datetime,
        *,
        max_attempts: int | None = None,
        created_before: datetime | None = None,
        workflows: Collection[str] | None = None,
        shunned_by: tuple[str, datetime] | None = None,
    ) -> Job | None:
        """Return and lock the oldest active job with an open slot at ``now``.

        Only jobs with fewer than ``max_attempts`` failed attempts, created at or before
        ``created_before`` and whose workflow is one of ``workflows`` count, where given;
        with ``shunned_by=(worker, since)``, not the jobs that :meth:`Job.shuns`.

        May return ``None`` while such jobs exist if all of them are locked by other units
        of work at this moment; callers treat that as "nothing to do, poll again".
        """
        ...

    def active(self) -> list[Job]:
        """Return every active job, oldest first."""
        ...

    def save(self, job: Job) -> None:
        """Store the status, original key and slots (matched by index) of ``job``."""
        ...

    def replace_result(self, job_id: int, index: int, expected: str, new: str) -> bool:
        """Point slot ``index`` of active job ``job_id`` at ``new`` if it points at ``expected``.

        A compare-and-set: returns ``False`` and changes nothing when the job is not active
        or the slot holds another result (or none), e.g. after a retry or a concurrent edit.
        """
        ...

    def referenced_keys(self) -> set[str]:
        """Return every blob key a job or slot points at."""
        ...

    def count_active(self) -> int:
        """Return how many jobs are active (a count, not a load: asked on every upload)."""
        ...

    def count_by_status(self) -> dict[JobStatus, int]:
        """Return how many jobs there are in each status (statuses without jobs may be left out).

        A count, not a load: cheap enough to be asked on every metrics scrape.
        """
        ...

    def count_waiting_slots(self, now: datetime) -> int:
        """Return how many slots of active jobs are open at ``now`` (the queue's depth)."""
        ...

    def delete_all(self) -> int:
        """Remove every job and slot (the event is over); return how many jobs."""
        ...
