"""Races of the fleet operations on SQLite and PostgreSQL, each side on its own engine.

Two engines stand for two server replicas on one database. A barrier starts both sides of
each race together; the stored state afterwards must be one of the serial outcomes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.conftest import wipe
from tests.images import png
from xray_core.adapters.pillow_images import PillowImageSanitizer
from xray_core.clock import SystemClock
from xray_core.errors import ConflictError
from xray_core.jobs.model import ConfirmAction
from xray_core.jobs.service import JobService
from xray_core.workers.model import Identity
from xray_core.workers.service import WorkerRegistry
from xray_storage.blobs.filesystem import FilesystemBlobStore
from xray_storage.sql import SqlModelUnitOfWorkFactory, create_db_engine, create_schema

pytestmark = pytest.mark.slow
LEASE = timedelta(seconds=0.25)


@dataclass
class Replicas:
    """Two job services and two registries on one database, each on its own engine."""

    jobs: tuple[JobService, JobService]
    registries: tuple[WorkerRegistry, WorkerRegistry]
    engines: tuple[Engine, Engine]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def replicas(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Replicas]:
    """Two replicas on SQLite (one file) or on an emptied PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'xray.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engines = (create_db_engine(url), create_db_engine(url))
    create_schema(engines[0])
    if request.param == "postgresql":
        wipe(engines[0])
    blobs = FilesystemBlobStore(tmp_path / "blobs")

    def service(engine: Engine) -> JobService:
        return JobService(
            SqlModelUnitOfWorkFactory(engine),
            blobs,
            PillowImageSanitizer(),
            SystemClock(),
            results_per_image=1,
            lease=LEASE,
        )

    registries = tuple(
        WorkerRegistry(SqlModelUnitOfWorkFactory(e), SystemClock(), write_every=0) for e in engines
    )
    yield Replicas((service(engines[0]), service(engines[1])), registries, engines)  # type: ignore[arg-type]
    for engine in engines:
        engine.dispose()


def together(*sides: Callable[[], object]) -> list[object]:
    """Run the callables at once (a barrier), returning each result or the exception raised."""
    barrier = threading.Barrier(len(sides))
    out: list[object] = [None] * len(sides)

    def run(i: int) -> None:
        barrier.wait()
        try:
            out[i] = sides[i]()
        except Exception as exc:  # the outcome under test
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(sides))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return out


def new_job(service: JobService, n: int) -> int:
    return service.upload(
        png(16, 16, (n % 256, 9, 9)),
        first_name="A",
        last_name="B",
        animal_name=f"Bear {n}",
        qr_content="q",
    ).job_id


def test_an_extension_and_a_re_lease_at_expiry_never_both_hold_the_slot(
    replicas: Replicas,
) -> None:
    """At the moment a lease runs out, either the extension wins or a new claim does, never both."""
    one, two = replicas.jobs
    for n in range(12):
        job_id = new_job(one, n)
        first = one.claim("slow")
        assert first is not None and first.job.id == job_id
        until = first.slot.leased_until
        assert until is not None
        time.sleep(max(0.0, (until - datetime.now(UTC)).total_seconds() - 0.002))
        extended, claimed = together(
            partial(one.extend, job_id, first.lease_id), partial(two.claim, "other")
        )
        # Both may lose (the claim came just before the expiry, the extension just after).
        took_slot = getattr(claimed, "job", None) is not None
        assert not (isinstance(extended, datetime) and took_slot), (extended, claimed)
        assert isinstance(extended, datetime | ConflictError), extended
        one.decide(job_id, 0, ConfirmAction.CANCEL)


def test_a_failure_report_and_a_late_result_are_not_both_taken(replicas: Replicas) -> None:
    """A failure report racing the result for the same lease: exactly one of them counts."""
    one, two = replicas.jobs
    for n in range(10):
        job_id = new_job(one, n)
        claim = one.claim("w")
        assert claim is not None and claim.job.id == job_id
        failed, submitted = together(
            partial(one.fail, job_id, claim.lease_id, "boom"),
            partial(two.submit, job_id, png(20, 20, (n, 1, 2)), claim.lease_id),
        )
        job = next(j for j in one.pending() if j.id == job_id)
        fail_ok, submit_ok = not isinstance(failed, Exception), not isinstance(submitted, Exception)
        assert fail_ok != submit_ok, (failed, submitted)
        assert job.attempts == (1 if fail_ok else 0)
        assert len(job.results()) == (1 if submit_ok else 0)
        one.decide(job_id, 0, ConfirmAction.CANCEL)


def test_two_replicas_updating_one_registry_row_lose_no_count(replicas: Replicas) -> None:
    """Four threads on two replicas record 20 results and 20 failures each for one new worker."""
    who = Identity("gpu-shared", "10.0.0.9", "ua", "info")
    claimed = datetime.now(UTC) - timedelta(seconds=3)

    def hammer(registry: WorkerRegistry) -> Callable[[], None]:
        def run() -> None:
            for _ in range(20):
                registry.delivered(who, claimed)
                registry.failed(who)

        return run

    a, b = replicas.registries
    errors = together(hammer(a), hammer(b), hammer(a), hammer(b))
    assert errors == [None] * 4
    [status] = a.fleet()
    assert status.record.results == 80 and status.record.failures == 80
    assert status.record.mean_seconds is not None and status.record.mean_seconds >= 3
