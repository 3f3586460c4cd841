"""A stateful Hypothesis test of the job queue on the memory and the SQLite backend.

Random sequences of uploads, claims, results (with or without lease id), lease extensions,
failure reports, clock jumps, retries, confirms and cancels (by named and unnamed workers) are
run against :class:`JobService`, next to a small model of what must hold; after every step the invariants of the queue are checked against the stored state.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from sqlalchemy import Engine

from tests.conftest import Backend
from tests.fakes.fakes import FakeClock
from tests.images import png
from xray_core.adapters.pillow_images import PillowImageSanitizer
from xray_core.errors import XrayError
from xray_core.jobs.errors import (
    JobAlreadyConfirmedError,
    JobCancelledError,
    JobCompleteError,
    LeaseLostError,
    ResultNotReadyError,
)
from xray_core.jobs.model import ConfirmAction, Job, Slot
from xray_core.jobs.service import JobService
from xray_storage.blobs.filesystem import FilesystemBlobStore
from xray_storage.memory import InMemoryBlobStore, InMemoryStore
from xray_storage.sql import SqlModelUnitOfWorkFactory, create_db_engine, create_schema

RESULTS_PER_IMAGE = 2
LEASE_SECONDS = 600
MAX_ATTEMPTS = 3
RETRY_ELSEWHERE = timedelta(seconds=30)
WORKERS = st.sampled_from([None, "gpu", "cpu"])
EVERYTHING = 10**6

PICK = st.integers(min_value=0, max_value=63)


class QueueMachine(RuleBasedStateMachine):
    """Drives one JobService and keeps a model of jobs, leases and results beside it."""

    backend_name: ClassVar[str] = "memory"

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self._tmp: str | None = None
        self._engine: Engine | None = None
        self.backend = self._make_backend()
        self.jobs = JobService(
            self.backend.uow,
            self.backend.blobs,
            PillowImageSanitizer(),
            self.clock,
            results_per_image=RESULTS_PER_IMAGE,
            lease=timedelta(seconds=LEASE_SECONDS),
            max_attempts=MAX_ATTEMPTS,
            retry_elsewhere=RETRY_ELSEWHERE,
        )
        self.job_ids: list[int] = []
        self.attempts: dict[int, int] = {}
        self.status: dict[int, str] = {}
        self.received: dict[int, list[bytes]] = {}
        self.leases: list[tuple[int, str]] = []
        self.claimed_by: dict[str, str | None] = {}  # lease id -> worker
        # (job id, slot index) -> who last reported that slot failed, and when.
        self.last_failed: dict[tuple[int, int], tuple[str | None, datetime]] = {}
        self.confirms = 0
        self.posted = 0

    def _make_backend(self) -> Backend:
        if self.backend_name == "memory":
            return Backend("memory", InMemoryStore(), InMemoryBlobStore())
        self._tmp = tempfile.mkdtemp(prefix="xray-queue-")
        self._engine = create_db_engine(f"sqlite:///{Path(self._tmp) / 'xray.db'}")
        create_schema(self._engine)
        blobs = FilesystemBlobStore(Path(self._tmp) / "blobs")
        return Backend("sqlite", SqlModelUnitOfWorkFactory(self._engine), blobs)

    def teardown(self) -> None:
        """Close the database and remove the temporary directory."""
        if self._engine is not None:
            self._engine.dispose()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)

    # --- helpers ---------------------------------------------------------------------------

    def stored(self, job_id: int) -> Job:
        with self.backend.uow() as uow:
            job = uow.jobs.get(job_id)
        assert job is not None
        return job

    def pick_job(self, pick: int) -> int:
        return self.job_ids[pick % len(self.job_ids)]

    def ready(self) -> list[int]:
        return [i for i in self.job_ids if self.status[i] == "active" and self.received[i]]

    def carousel_size(self) -> int:
        with self.backend.uow() as uow:
            return len(uow.carousel.latest(EVERYTHING))

    def expect_refusal(self, job_id: int) -> type[XrayError] | None:
        status = self.status[job_id]
        if status == "confirmed":
            return JobAlreadyConfirmedError
        if status == "cancelled":
            return JobCancelledError
        return None

    # --- rules -----------------------------------------------------------------------------

    @initialize(count=st.integers(min_value=1, max_value=3))
    def first_uploads(self, count: int) -> None:
        """The morning starts with a few photos already waiting."""
        for _ in range(count):
            self.upload()

    @rule()
    def upload(self) -> None:
        """The doctor uploads a photo."""
        answer = self.jobs.upload(
            png(4, 4, (len(self.job_ids), 0, 0)),
            first_name="Anna",
            last_name="Muster",
            animal_name="Brumm",
            qr_content="somewhere else",
        )
        assert answer.job_id not in self.status
        self.job_ids.append(answer.job_id)
        self.status[answer.job_id] = "active"
        self.received[answer.job_id] = []
        self.attempts[answer.job_id] = 0
        assert answer.current_jobs == sum(s == "active" for s in self.status.values())

    def shunned(self, job_id: int, worker: str | None, now: datetime) -> bool:
        """Whether ``worker`` was the last to fail a slot of the job, less than 30 s ago."""
        return worker is not None and any(
            j == job_id and who == worker and at > now - RETRY_ELSEWHERE
            for (j, _), (who, at) in self.last_failed.items()
        )

    @rule(worker=WORKERS)
    def claim(self, worker: str | None) -> None:
        """A worker polls: an open slot of the oldest job it may have, or nothing."""
        now = self.clock.now()
        before = self.jobs.pending()
        candidates = [
            (job, {s.index for s in job.slots if s.result_key is None and not _leased(s, now)})
            for job in before
            if self.attempts[job.id] < MAX_ATTEMPTS  # failed jobs wait for a retry
            and not self.shunned(job.id, worker, now)  # left to the others for a while
        ]
        candidates = [(job, open_slots) for job, open_slots in candidates if open_slots]

        claim = self.jobs.claim(worker)

        if not candidates:
            assert claim is None
            return
        assert claim is not None
        oldest, open_slots = candidates[0]
        assert claim.job.id == oldest.id
        assert claim.slot.index in open_slots
        slot = self.stored(oldest.id).slots[claim.slot.index]
        assert slot.lease_id == claim.lease_id
        assert slot.result_key is None
        self.leases.append((oldest.id, claim.lease_id))
        self.claimed_by[claim.lease_id] = worker

    @precondition(lambda self: self.leases)
    @rule(pick=PICK)
    def submit_with_lease(self, pick: int) -> None:
        """A worker posts a result naming a lease it was given (maybe long ago)."""
        self.submit(*self.leases[pick % len(self.leases)])

    @precondition(lambda self: self.job_ids)
    @rule(pick=PICK)
    def submit_without_lease(self, pick: int) -> None:
        """An old worker posts a result for a job without naming any lease."""
        self.submit(self.pick_job(pick), None)

    def submit(self, job_id: int, lease_id: str | None) -> None:
        """Post a result and check it against the model: accepted into the right slot, or refused."""
        before = self.stored(job_id)
        unfilled = [s for s in before.slots if s.result_key is None]
        expected: type[XrayError] | None = self.expect_refusal(job_id)
        if expected is None and not unfilled:
            expected = JobCompleteError
        if (
            expected is None
            and lease_id is not None
            and not any(s.lease_id == lease_id for s in unfilled)
        ):
            expected = LeaseLostError
        keys_before = _blob_keys(self.backend)
        self.posted += 1
        data = png(4, 4, (self.posted % 256, self.posted // 256, 99))

        if expected is not None:
            with pytest.raises(expected):
                self.jobs.submit(job_id, data, lease_id)
            assert _blob_keys(self.backend) == keys_before
            assert self.stored(job_id).slots == before.slots
            return
        self.jobs.submit(job_id, data, lease_id)
        after = self.stored(job_id)
        newly = [
            a.index for a, b in zip(after.slots, before.slots, strict=True) if a.filled != b.filled
        ]
        assert len(newly) == 1
        if lease_id is not None:
            assert before.slots[newly[0]].lease_id == lease_id
        else:
            leased = [s for s in unfilled if s.leased_until is not None]
            target = min(leased, key=lambda s: (s.leased_until, s.index)) if leased else unfilled[0]
            assert newly[0] == target.index
        self.received[job_id].append(data)

    @precondition(lambda self: self.leases)
    @rule(pick=PICK)
    def extend(self, pick: int) -> None:
        """A slow worker extends a lease it was given: only a live lease of its slot extends."""
        job_id, lease_id = self.leases[pick % len(self.leases)]
        before = self.stored(job_id)
        now = self.clock.now()
        expected: type[XrayError] | None = self.expect_refusal(job_id)
        live = [s for s in before.slots if s.lease_id == lease_id and s.result_key is None]
        if expected is None and not (live and _leased(live[0], now)):
            expected = LeaseLostError
        if expected is not None:
            with pytest.raises(expected):
                self.jobs.extend(job_id, lease_id)
            assert self.stored(job_id).slots == before.slots
            return
        until = self.jobs.extend(job_id, lease_id)
        assert until == now + timedelta(seconds=LEASE_SECONDS)
        assert self.stored(job_id).slots[live[0].index].leased_until == until

    @precondition(lambda self: self.leases)
    @rule(pick=PICK)
    def fail(self, pick: int) -> None:
        """A worker reports that generation failed: the slot opens at once, one attempt counts."""
        job_id, lease_id = self.leases[pick % len(self.leases)]
        before = self.stored(job_id)
        unfilled = [s for s in before.slots if s.result_key is None]
        expected: type[XrayError] | None = self.expect_refusal(job_id)
        if expected is None and not unfilled:
            expected = JobCompleteError
        if expected is None and not any(s.lease_id == lease_id for s in unfilled):
            expected = LeaseLostError
        if expected is not None:
            with pytest.raises(expected):
                self.jobs.fail(job_id, lease_id, "boom")
            assert self.stored(job_id).attempts == before.attempts
            return
        slot = self.jobs.fail(job_id, lease_id, "boom")
        self.attempts[job_id] += 1
        self.last_failed[(job_id, slot.index)] = (self.claimed_by[lease_id], self.clock.now())
        after = self.stored(job_id)
        assert after.slots[slot.index].lease_id is None
        assert after.slots[slot.index].open(self.clock.now())

    @rule(seconds=st.sampled_from([30, 599, 601, 1200]))
    def advance(self, seconds: int) -> None:
        """Time passes; long enough, leases run out."""
        self.clock.advance(seconds=seconds)

    @precondition(lambda self: self.job_ids)
    @rule(pick=PICK)
    def retry(self, pick: int) -> None:
        """The doctor discards a job's results and queues it again."""
        job_id = self.pick_job(pick)
        expected = self.expect_refusal(job_id)
        if expected is not None:
            with pytest.raises(expected):
                self.jobs.decide(job_id, 0, ConfirmAction.RETRY)
            return
        self.jobs.decide(job_id, 0, ConfirmAction.RETRY)
        self.received[job_id] = []
        self.attempts[job_id] = 0
        self.last_failed = {k: v for k, v in self.last_failed.items() if k[0] != job_id}
        assert all(s.lease_id is None for s in self.stored(job_id).slots)

    @precondition(lambda self: self.job_ids)
    @rule(pick=PICK, choice=st.integers(min_value=0, max_value=RESULTS_PER_IMAGE - 1))
    def confirm_any(self, pick: int, choice: int) -> None:
        """The doctor confirms a result of any job, maybe too early or too late."""
        self.confirm(self.pick_job(pick), choice)

    @precondition(lambda self: self.ready())
    @rule(pick=PICK, choice=st.integers(min_value=0, max_value=RESULTS_PER_IMAGE - 1))
    def confirm_with_results(self, pick: int, choice: int) -> None:
        """The doctor confirms a result of a job that has received some."""
        ready = self.ready()
        self.confirm(ready[pick % len(ready)], choice)

    def confirm(self, job_id: int, choice: int) -> None:
        """Confirm and check against the model: a new carousel entry, or a refusal."""
        expected = self.expect_refusal(job_id)
        if expected is None and choice >= len(self.received[job_id]):
            expected = ResultNotReadyError
        if expected is not None:
            with pytest.raises(expected):
                self.jobs.decide(job_id, choice, ConfirmAction.CONFIRM)
            assert self.carousel_size() == self.confirms
            return
        self.jobs.decide(job_id, choice, ConfirmAction.CONFIRM)
        self.status[job_id] = "confirmed"
        self.confirms += 1
        with self.backend.uow() as uow:
            newest = uow.carousel.latest(1)[0]
        assert newest.job_id == job_id
        assert self.backend.blobs.get(newest.xray_key) == self.received[job_id][choice]

    @precondition(lambda self: self.job_ids)
    @rule(pick=PICK)
    def cancel(self, pick: int) -> None:
        """The doctor drops a job with its images."""
        job_id = self.pick_job(pick)
        expected = self.expect_refusal(job_id)
        if expected is not None:
            with pytest.raises(expected):
                self.jobs.decide(job_id, 0, ConfirmAction.CANCEL)
            return
        self.jobs.decide(job_id, 0, ConfirmAction.CANCEL)
        self.status[job_id] = "cancelled"

    # --- invariants ------------------------------------------------------------------------

    @invariant()
    def pending_jobs_are_the_active_ones_oldest_first(self) -> None:
        """pending() lists exactly the jobs neither confirmed nor cancelled, oldest first."""
        pending = self.jobs.pending()
        assert [j.id for j in pending] == [i for i in self.job_ids if self.status[i] == "active"]
        created = [j.created_at for j in pending]
        assert created == sorted(created)

    @invariant()
    def no_slot_holds_two_results_and_no_job_more_than_it_wants(self) -> None:
        """Every job has results_per_image slots, each result in one slot, as many as received."""
        keys: list[str] = []
        for job in self.jobs.pending():
            assert len(job.slots) == RESULTS_PER_IMAGE
            filled = [s for s in job.slots if s.filled]
            assert len(filled) <= RESULTS_PER_IMAGE
            assert len(filled) == len(self.received[job.id])
            keys.extend(str(s.result_key) for s in filled)
        assert len(keys) == len(set(keys))

    @invariant()
    def results_are_numbered_in_order_of_arrival(self) -> None:
        """Result i of a pending job is the i-th result received for it."""
        for job in self.jobs.pending():
            got = [self.backend.blobs.get(str(s.result_key)) for s in job.results()]
            assert got == self.received[job.id]

    @invariant()
    def failed_attempts_are_counted_with_their_reasons(self) -> None:
        """Each pending job counts exactly the failure reports accepted since its last retry."""
        for job in self.jobs.pending():
            assert job.attempts == self.attempts[job.id]
            assert len(job.failures) == job.attempts

    @invariant()
    def carousel_entries_equal_confirms(self) -> None:
        """Each confirm added exactly one carousel entry."""
        assert self.carousel_size() == self.confirms

    @invariant()
    def blobs_are_exactly_what_is_still_referenced(self) -> None:
        """No image leaks and none goes missing: blobs are the pending images and the carousel."""
        wanted: set[str] = set()
        for job in self.jobs.pending():
            wanted.add(job.original_key)
            wanted.update(str(s.result_key) for s in job.slots if s.filled)
        with self.backend.uow() as uow:
            for item in uow.carousel.latest(EVERYTHING):
                wanted.update((item.xray_key, item.original_key))
        assert _blob_keys(self.backend) == wanted


def _leased(slot: Slot, now: datetime) -> bool:
    return slot.leased_until is not None and slot.leased_until > now


def _blob_keys(backend: Backend) -> set[str]:
    return {key for key, _age in backend.blobs.keys()}


SETTINGS = settings(
    max_examples=50,
    stateful_step_count=20,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class MemoryQueueMachine(QueueMachine):
    """The queue machine on the in-memory adapters."""

    backend_name = "memory"


class SqliteQueueMachine(QueueMachine):
    """The queue machine on SQLModel over a real SQLite file and the filesystem blob store."""

    backend_name = "sqlite"


TestQueueOnMemory = MemoryQueueMachine.TestCase
TestQueueOnMemory.settings = SETTINGS
TestQueueOnSqlite = SqliteQueueMachine.TestCase
TestQueueOnSqlite.settings = SETTINGS
TestQueueOnSqlite = pytest.mark.slow(TestQueueOnSqlite)  # SQLite on every step
