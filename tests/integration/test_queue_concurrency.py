"""Many workers claiming and submitting at once, on SQLite and PostgreSQL.

Eight threads (on one engine, or on one engine each, like separate processes) and four real
processes drain one job set through :class:`JobService` on the SQLModel and filesystem
adapters with the wall clock. Afterwards the stored state must show every slot filled exactly
once, by the worker that held its lease, with the bytes that worker sent, and no claim beyond
the slots there were.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.conftest import wipe
from tests.images import png
from tests.postgres import fresh_database
from xray_core.adapters.pillow_images import PillowImageSanitizer
from xray_core.clock import SystemClock
from xray_core.jobs.service import JobService
from xray_storage.blobs.filesystem import FilesystemBlobStore
from xray_storage.sql import SqlModelUnitOfWorkFactory, create_db_engine, create_schema

JOBS = 30
RESULTS_PER_IMAGE = 2
THREADS = 8
PROCESSES = 4
BUDGET_SECONDS = 25.0


@dataclass(frozen=True)
class Submitted:
    """A claim a worker got and the result it then submitted successfully for it."""

    job_id: int
    slot: int
    lease_id: str
    sha256: str


@dataclass
class Outcome:
    """What one worker did: its successful claim+submit pairs and any unexpected error."""

    worker: int
    submitted: list[Submitted] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class JobSet:
    """A database holding ``JOBS`` fresh jobs, and the blob folder beside it."""

    url: str
    blob_dir: Path
    job_ids: tuple[int, ...]


def service_on(url: str, blob_dir: Path) -> tuple[JobService, Engine]:
    """Return a JobService on its own engine for ``url`` (the caller disposes the engine)."""
    engine = create_db_engine(url)
    service = JobService(
        SqlModelUnitOfWorkFactory(engine),
        FilesystemBlobStore(blob_dir),
        PillowImageSanitizer(),
        SystemClock(),
        results_per_image=RESULTS_PER_IMAGE,
    )
    return service, engine


def result_png(worker: int, n: int) -> bytes:
    """Return a small PNG no other worker or submission sends."""
    return png(8 + worker, 8 + n % 64, (worker * 29 % 256, n % 256, n // 256 % 256))


def open_slots_left(service: JobService) -> bool:
    """Whether any pending job still has a slot that a claim may hand out."""
    now = SystemClock().now()
    return any(job.claimable_slot(now) is not None for job in service.pending())


def drain(service: JobService, worker: int, deadline: float) -> Outcome:
    """Claim and submit until no open slot is left; collect everything that went wrong.

    A claim that comes back empty while slots are open is "nothing to claim" (a row lock
    skipped): poll again. Any exception is an error of the queue.
    """
    outcome = Outcome(worker)
    n = 0
    while True:
        if time.monotonic() > deadline:
            outcome.errors.append(f"worker {worker}: open slots left at the deadline")
            return outcome
        try:
            claim = service.claim()
            if claim is None:
                if not open_slots_left(service):
                    return outcome
                continue
            result = result_png(worker, n)
            n += 1
            service.submit(claim.job.id, result, claim.lease_id)
        except Exception as exc:  # every exception is a finding
            outcome.errors.append(f"worker {worker}: {exc!r}")
            continue
        outcome.submitted.append(
            Submitted(claim.job.id, claim.slot.index, claim.lease_id, sha(result))
        )


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def run_threads(target: Callable[[int, threading.Barrier], Outcome]) -> list[Outcome]:
    """Run ``target`` in ``THREADS`` threads released together; return their outcomes."""
    barrier = threading.Barrier(THREADS)
    outcomes: list[Outcome | None] = [None] * THREADS

    def run(worker: int) -> None:
        outcomes[worker] = target(worker, barrier)

    threads = [threading.Thread(target=run, args=(w,), daemon=True) for w in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=BUDGET_SECONDS + 10)
    assert not any(t.is_alive() for t in threads), "a worker thread hung"
    assert all(o is not None for o in outcomes)
    return [o for o in outcomes if o is not None]


def assert_every_slot_filled_once(jobs: JobSet, outcomes: list[Outcome]) -> None:
    """The stored state and the workers' accounts agree: each slot filled once, nothing more."""
    assert [e for o in outcomes for e in o.errors] == []
    submitted = [s for o in outcomes for s in o.submitted]
    by_lease = {s.lease_id: s for s in submitted}
    assert len(by_lease) == len(submitted), "a lease id was handed out twice"
    wanted = {(j, i) for j in jobs.job_ids for i in range(RESULTS_PER_IMAGE)}
    claimed = sorted((s.job_id, s.slot) for s in submitted)
    assert claimed == sorted(wanted), "claims did not match the slots one to one"

    service, engine = service_on(jobs.url, jobs.blob_dir)
    try:
        pending = service.pending()
        blobs = FilesystemBlobStore(jobs.blob_dir)
        assert sorted(j.id for j in pending) == sorted(jobs.job_ids)
        stored_keys: list[str] = []
        for job in pending:
            assert job.complete, f"job {job.id} has an unfilled slot: {job.slots}"
            assert len(job.results()) == RESULTS_PER_IMAGE
            for slot in job.slots:
                assert slot.leased_until is None, "a filled slot is still leased"
                assert slot.lease_id is not None
                assert slot.result_key is not None
                mine = by_lease[slot.lease_id]
                assert (mine.job_id, mine.slot) == (job.id, slot.index)
                assert sha(blobs.get(slot.result_key)) == mine.sha256
                stored_keys.append(slot.result_key)
        assert len(set(stored_keys)) == len(stored_keys) == len(wanted)
        on_disk = {k for k, _ in blobs.keys() if k.startswith("results/")}
        assert on_disk == set(stored_keys), "a result blob was written that no slot keeps"
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def job_set(request: pytest.FixtureRequest, tmp_path: Path) -> JobSet:
    """``JOBS`` jobs of a real PNG each, on a SQLite file or on the emptied PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'queue.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    blob_dir = tmp_path / "blobs"
    service, engine = service_on(url, blob_dir)
    create_schema(engine)
    if request.param == "postgresql":
        wipe(engine)
    try:
        ids = tuple(
            service.upload(
                png(40, 30, (i, 100, 200)),
                first_name="Alice",
                last_name="Smith",
                animal_name=f"Bear {i}",
                qr_content=f"QR-{i}",
            ).job_id
            for i in range(JOBS)
        )
    finally:
        engine.dispose()
    return JobSet(url, blob_dir, ids)


def test_threads_on_one_engine_fill_every_slot_exactly_once(job_set: JobSet) -> None:
    """Eight threads sharing one engine fill each slot once, and claim no slot twice."""
    service, engine = service_on(job_set.url, job_set.blob_dir)
    deadline = time.monotonic() + BUDGET_SECONDS

    def work(worker: int, barrier: threading.Barrier) -> Outcome:
        barrier.wait()
        return drain(service, worker, deadline)

    try:
        outcomes = run_threads(work)
    finally:
        engine.dispose()
    assert_every_slot_filled_once(job_set, outcomes)


def test_threads_with_an_engine_each_fill_every_slot_exactly_once(job_set: JobSet) -> None:
    """Eight threads with separate engines (connection pools) behave like separate servers."""
    deadline = time.monotonic() + BUDGET_SECONDS

    def work(worker: int, barrier: threading.Barrier) -> Outcome:
        service, engine = service_on(job_set.url, job_set.blob_dir)
        try:
            barrier.wait()
            return drain(service, worker, deadline)
        finally:
            engine.dispose()

    assert_every_slot_filled_once(job_set, run_threads(work))


def process_worker(
    url: str,
    blob_dir: Path,
    worker: int,
    deadline: float,
    start: threading.Barrier,
    results: multiprocessing.Queue[Outcome],
) -> None:
    """Entry point of a spawned worker process: its own engine, then drain the queue."""
    outcome = Outcome(worker)
    try:
        service, engine = service_on(url, blob_dir)
        try:
            start.wait(timeout=60)
            outcome = drain(service, worker, deadline)
        finally:
            engine.dispose()
    except Exception as exc:  # reported to the parent, not lost
        outcome.errors.append(f"process {worker}: {exc!r}")
    results.put(outcome)


@pytest.mark.slow
def test_processes_fill_every_slot_exactly_once(job_set: JobSet) -> None:
    """Four spawned processes, each with its own engine, fill each slot once."""
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(PROCESSES)
    results: multiprocessing.Queue[Outcome] = ctx.Queue()
    deadline = time.monotonic() + BUDGET_SECONDS
    processes = [
        ctx.Process(
            target=process_worker,
            args=(job_set.url, job_set.blob_dir, w, deadline, start, results),
            daemon=True,
        )
        for w in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    outcomes: list[Outcome] = []
    try:
        for _ in processes:
            outcomes.append(results.get(timeout=max(1.0, deadline - time.monotonic() + 5)))
    except queue.Empty:
        pytest.fail(f"only {len(outcomes)} of {PROCESSES} worker processes reported back")
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
    assert [p.exitcode for p in processes] == [0] * PROCESSES
    assert_every_slot_filled_once(job_set, outcomes)


@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_engines_creating_the_schema_together_all_succeed(database: str, tmp_path: Path) -> None:
    """Servers starting together on a fresh database each create the schema without failing.

    Every server runs ``create_schema`` on startup; two of them sharing one new database
    must not kill each other (on PostgreSQL, racing ``CREATE TABLE`` statements collide).
    """
    with contextlib.ExitStack() as stack:
        if database == "sqlite":
            url = f"sqlite:///{tmp_path / 'fresh.db'}"
        else:
            url = stack.enter_context(fresh_database())
        engines = [create_db_engine(url) for _ in range(PROCESSES)]
        for engine in engines:
            stack.callback(engine.dispose)
            engine.connect().close()  # connected beforehand: only the schema step races
        barrier = threading.Barrier(len(engines))
        errors: list[str] = []

        def create(engine: Engine) -> None:
            barrier.wait()
            try:
                create_schema(engine)
            except Exception as exc:  # every exception is a finding
                errors.append(repr(exc).splitlines()[0])

        threads = [threading.Thread(target=create, args=(e,)) for e in engines]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert errors == []


@pytest.mark.slow
def test_claims_never_come_back_empty_while_jobs_wait(job_set: JobSet) -> None:
    """Eight threads claiming at once all get a slot while unclaimed slots remain.

    One-slot jobs make every claim race for the oldest job: a claim that locks a job another
    claim just filled must look again, not answer "nothing to do" while the queue is full.
    """
    engine = create_db_engine(job_set.url)
    service = JobService(
        SqlModelUnitOfWorkFactory(engine),
        FilesystemBlobStore(job_set.blob_dir),
        PillowImageSanitizer(),
        SystemClock(),
        results_per_image=1,
    )
    for i in range(170):
        service.upload(
            png(), first_name="A", last_name="B", animal_name=f"one-slot {i}", qr_content="q"
        )
    per_thread = 28  # 8 x 28 = 224 claims for 60 + 170 open slots
    empty: list[int] = []

    def work(worker: int, barrier: threading.Barrier) -> Outcome:
        outcome = Outcome(worker)
        barrier.wait()
        for _ in range(per_thread):
            claim = service.claim()
            if claim is None:
                empty.append(worker)
            else:
                outcome.submitted.append(
                    Submitted(claim.job.id, claim.slot.index, claim.lease_id, "")
                )
        return outcome

    try:
        outcomes = run_threads(work)
    finally:
        engine.dispose()
    assert empty == []
    claimed = [(s.job_id, s.slot) for o in outcomes for s in o.submitted]
    assert len(claimed) == len(set(claimed)) == per_thread * THREADS
