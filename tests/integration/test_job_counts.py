"""Contract of the cheap job counts (cases by state, waiting slots) on memory, SQLite, PostgreSQL.

The same tests also check what the Prometheus adapter reports for the core's events, timed
by the fake clock: time to first result and to confirmation.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Backend
from tests.fakes.fakes import FakeClock
from tests.images import png
from xray_core.adapters.pillow_images import PillowImageSanitizer
from xray_core.jobs.model import ConfirmAction, JobStatus
from xray_core.jobs.service import JobService
from xray_http.prometheus import PrometheusMetrics

LEASE = timedelta(seconds=600)


@pytest.fixture
def store(any_backend: Backend) -> Backend:
    """Every storage backend, emptied."""
    return any_backend


def service(
    store: Backend, clock: FakeClock, metrics: PrometheusMetrics | None = None
) -> JobService:
    return JobService(
        store.uow,
        store.blobs,
        PillowImageSanitizer(),
        clock,
        results_per_image=2,
        lease=LEASE,
        metrics=metrics,
    )


def upload(jobs: JobService, n: int) -> int:
    return jobs.upload(
        png(16, 16, (n, 40, 80)),
        first_name="Alice",
        last_name="Smith",
        animal_name=f"Bear {n}",
        qr_content=f"QR-{n}",
    ).job_id


def samples(metrics: PrometheusMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = metrics.exposition().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_empty_store_counts_nothing(store: Backend, clock: FakeClock) -> None:
    """No jobs: zero in every state, no waiting slot."""
    counts = service(store, clock).counts()
    assert counts.by_status == dict.fromkeys(JobStatus, 0)
    assert counts.waiting_slots == 0


def test_counts_follow_uploads_claims_results_and_decisions(
    store: Backend, clock: FakeClock
) -> None:
    """Counts by state and waiting slots track every step of the queue."""
    jobs = service(store, clock)
    first, second, third = (upload(jobs, n) for n in range(3))
    assert jobs.counts().waiting_slots == 6
    claim = jobs.claim()
    assert claim is not None and claim.job.id == first
    assert jobs.counts().waiting_slots == 5  # a leased slot is not waiting
    jobs.submit(first, png(8, 8), claim.lease_id)
    assert jobs.counts().waiting_slots == 5  # a filled one neither
    jobs.decide(first, 0, ConfirmAction.CONFIRM)
    jobs.decide(second, 0, ConfirmAction.CANCEL)
    counts = jobs.counts()
    assert counts.by_status == {
        JobStatus.ACTIVE: 1,
        JobStatus.CONFIRMED: 1,
        JobStatus.CANCELLED: 1,
    }
    assert counts.waiting_slots == 2
    assert third in {j.id for j in jobs.pending()}


def test_an_expired_lease_counts_as_waiting_again(store: Backend, clock: FakeClock) -> None:
    """Once its lease runs out, a claimed slot waits again (no sweeper needed)."""
    jobs = service(store, clock)
    upload(jobs, 1)
    assert jobs.claim() is not None
    assert jobs.counts().waiting_slots == 1
    clock.advance(seconds=LEASE.total_seconds() + 1)
    assert jobs.counts().waiting_slots == 2


def test_prometheus_reports_times_to_first_result_and_confirmation(
    store: Backend, clock: FakeClock
) -> None:
    """Uploads are counted; the first result and the confirmation are timed from the upload."""
    metrics = PrometheusMetrics()
    jobs = service(store, clock, metrics)
    metrics.watch(jobs.counts)
    job_id = upload(jobs, 1)
    upload(jobs, 2)
    clock.advance(seconds=7)
    for _ in range(2):
        claim = jobs.claim()
        assert claim is not None and claim.job.id == job_id
        jobs.submit(job_id, png(8, 8), claim.lease_id)
        clock.advance(seconds=30)
    jobs.decide(job_id, 1, ConfirmAction.CONFIRM)
    got = samples(metrics)
    assert got[("teddy_xray_uploads_total", ())] == 2
    assert got[("teddy_xray_time_to_first_result_seconds_count", ())] == 1  # not per result
    assert got[("teddy_xray_time_to_first_result_seconds_sum", ())] == 7
    assert got[("teddy_xray_time_to_first_result_seconds_bucket", (("le", "5.0"),))] == 0
    assert got[("teddy_xray_time_to_first_result_seconds_bucket", (("le", "10.0"),))] == 1
    assert got[("teddy_xray_time_to_confirmation_seconds_sum", ())] == 67
    assert got[("teddy_xray_cases", (("state", "confirmed"),))] == 1
    assert got[("teddy_xray_cases", (("state", "active"),))] == 1
    assert got[("teddy_xray_queue_waiting_slots", ())] == 2
    assert got[("teddy_xray_counts_up", ())] == 1


def test_count_active_counts_the_cases_an_upload_reports(store: Backend, clock: FakeClock) -> None:
    """``count_active`` (what an upload's ``current_jobs`` says) leaves decided cases out."""
    jobs = service(store, clock)
    first, second = upload(jobs, 1), upload(jobs, 2)
    for _ in range(2):
        claim = jobs.claim()
        assert claim is not None
        jobs.submit(first, png(8, 8), claim.lease_id)
    jobs.decide(first, 0, ConfirmAction.CONFIRM)
    jobs.decide(second, 0, ConfirmAction.CANCEL)
    with store.uow() as uow:
        assert uow.jobs.count_active() == 0
    with_two = [upload(jobs, n) for n in (3, 4)]
    assert (
        jobs.upload(
            png(16, 16), first_name="A", last_name="B", animal_name="C", qr_content="Q"
        ).current_jobs
        == len(with_two) + 1
    )
    with store.uow() as uow:
        assert uow.jobs.count_active() == 3
