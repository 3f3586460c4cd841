"""The fleet rules of JobService: lease extension, failure reports, min_age and workflows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import Backend
from tests.fakes.fakes import FakeClock
from tests.unit.service_kit import LEASE, RETRY, Services, build, job, result, upload
from xray_core.jobs.errors import InvalidFieldError, JobCancelledError, LeaseLostError
from xray_core.jobs.model import ConfirmAction
from xray_core.jobs.status import SlotState


@pytest.fixture
def services(backend: Backend, clock: FakeClock) -> Services:
    """The core services on the backend under test."""
    return build(backend, clock)


def test_an_extended_lease_keeps_its_slot_past_the_first_expiry(services: Services) -> None:
    """A worker that extends its lease keeps the slot after the original lease ran out."""
    upload(services)
    first = services.jobs.claim()
    second = services.jobs.claim()
    assert first and second
    services.clock.advance(seconds=LEASE.total_seconds() - 1)
    until = services.jobs.extend(first.job.id, first.lease_id)
    assert until == services.clock.now() + LEASE
    services.jobs.extend(second.job.id, second.lease_id)
    services.clock.advance(seconds=2)
    assert services.jobs.claim() is None


def test_extending_an_expired_lease_is_refused(services: Services) -> None:
    """A lease that ran out cannot be extended, even if nobody took the slot since."""
    upload(services)
    claim = services.jobs.claim()
    assert claim
    services.clock.advance(seconds=LEASE.total_seconds() + 1)
    with pytest.raises(LeaseLostError):
        services.jobs.extend(claim.job.id, claim.lease_id)


def test_extending_after_a_retry_or_cancel_is_refused(services: Services) -> None:
    """The doctor's Retry resets the leases and Cancel closes the job: both refuse extension."""
    one = upload(services)
    claim = services.jobs.claim()
    assert claim
    services.jobs.decide(one.job_id, 0, RETRY)
    with pytest.raises(LeaseLostError):
        services.jobs.extend(claim.job.id, claim.lease_id)
    again = services.jobs.claim()
    assert again
    services.jobs.decide(one.job_id, 0, ConfirmAction.CANCEL)
    with pytest.raises(JobCancelledError):
        services.jobs.extend(again.job.id, again.lease_id)


def test_a_failure_report_returns_the_slot_at_once(services: Services) -> None:
    """After POST /job/failed the slot is handed out again without waiting for the lease."""
    upload(services)
    first = services.jobs.claim()
    services.jobs.claim()
    assert first
    assert services.jobs.claim() is None
    services.jobs.fail(first.job.id, first.lease_id, "CUDA out of memory")
    again = services.jobs.claim()
    assert again and again.slot.index == first.slot.index
    assert job(services, first.job.id).failures == ("CUDA out of memory",)


def test_a_job_is_handed_out_no_more_after_three_failures(services: Services) -> None:
    """Three failed attempts mark the job failed with its reasons; a Retry resets them."""
    one = upload(services)
    for n in range(3):
        claim = services.jobs.claim()
        assert claim
        services.jobs.fail(claim.job.id, claim.lease_id, f"boom {n}")
    pending = job(services, one.job_id)
    assert services.jobs.failed(pending) and pending.attempts == 3
    assert pending.failures == ("boom 0", "boom 1", "boom 2")
    assert services.jobs.claim() is None
    services.jobs.decide(one.job_id, 0, RETRY)
    assert job(services, one.job_id).attempts == 0
    assert services.jobs.claim() is not None


def test_a_failure_report_with_a_lost_lease_is_refused(services: Services) -> None:
    """A late failure report for a slot that went to another worker changes nothing."""
    upload(services)
    first = services.jobs.claim()
    services.jobs.claim()
    assert first
    services.clock.advance(seconds=LEASE.total_seconds() + 1)
    services.jobs.claim()
    services.jobs.claim()
    with pytest.raises(LeaseLostError):
        services.jobs.fail(first.job.id, first.lease_id, "late")
    assert job(services, first.job.id).attempts == 0


def test_a_reason_longer_than_500_characters_is_refused(services: Services) -> None:
    """The reason is capped at 500 characters; nothing is counted when it is longer."""
    upload(services)
    claim = services.jobs.claim()
    assert claim
    with pytest.raises(InvalidFieldError):
        services.jobs.fail(claim.job.id, claim.lease_id, "x" * 501)
    assert job(services, claim.job.id).attempts == 0


def test_a_failure_report_after_the_result_is_refused(services: Services) -> None:
    """Once a slot holds the result, a failure report for its lease changes nothing."""
    upload(services)
    claim = services.jobs.claim()
    assert claim
    services.jobs.submit(claim.job.id, result((9, 9, 9)), claim.lease_id)
    with pytest.raises(LeaseLostError):
        services.jobs.fail(claim.job.id, claim.lease_id, "too late")
    assert len(job(services, claim.job.id).results()) == 1


def test_min_age_leaves_fresh_jobs_alone(services: Services) -> None:
    """GET /job?min_age=30 hands out only jobs that waited 30 s; without it, any job."""
    upload(services)
    assert services.jobs.claim(min_age=30) is None
    services.clock.advance(seconds=30)
    assert services.jobs.claim(min_age=30) is not None


def test_workflows_choose_the_jobs_a_worker_gets(backend: Backend, clock: FakeClock) -> None:
    """A job of workflow "sd15" goes to a worker asking for it and never to one asking "lcm"."""
    services = build(backend, clock)
    services.jobs.workflows = ("sd15", "lcm")
    plain = upload(services)
    chosen = upload(services, workflow="sd15")
    assert services.jobs.claim(workflows={"lcm"}) is None
    claim = services.jobs.claim(workflows={"sd15"})
    assert claim and claim.job.id == chosen.job_id and claim.job.workflow == "sd15"
    any_claim = services.jobs.claim()
    assert any_claim and any_claim.job.id == plain.job_id


def test_an_unknown_workflow_is_refused_with_the_allowed_ones(services: Services) -> None:
    """An upload naming a workflow that is not configured gets a clear error."""
    with pytest.raises(InvalidFieldError, match="workflow"):
        upload(services, workflow="dreambooth")


def test_the_claiming_worker_is_kept_with_the_slot(services: Services) -> None:
    """The slot remembers who claimed it and when, for the registry's claim-to-result time."""
    upload(services)
    claim = services.jobs.claim("gpu-1")
    assert claim and claim.slot.worker == "gpu-1"
    services.clock.advance(seconds=42)
    slot = services.jobs.submit(claim.job.id, result((1, 2, 3)), claim.lease_id)
    assert slot.worker == "gpu-1"
    assert slot.claimed_at is not None
    assert services.clock.now() - slot.claimed_at == timedelta(seconds=42)


def test_a_job_a_worker_failed_goes_to_the_others_first(services: Services) -> None:
    """A broken GPU worker fails a job: the next worker gets it, the broken one gets the next."""
    first, second = upload(services), upload(services)
    claim = services.jobs.claim("broken-gpu")
    assert claim and claim.job.id == first.job_id
    services.jobs.fail(claim.job.id, claim.lease_id, "CUDA error")
    elsewhere = services.jobs.claim("broken-gpu")
    assert elsewhere and elsewhere.job.id == second.job_id
    services.jobs.fail(elsewhere.job.id, elsewhere.lease_id, "CUDA error")
    assert services.jobs.claim("broken-gpu") is None  # both of its failures wait for others
    rescued = services.jobs.claim("cpu")
    assert rescued and rescued.job.id == first.job_id
    services.jobs.submit(rescued.job.id, result((1, 2, 3)), rescued.lease_id)
    assert job(services, first.job_id).attempts == 1  # not used up by the broken worker


def test_a_lone_worker_gets_its_failed_job_again_after_a_while(services: Services) -> None:
    """With nobody else around, the worker that failed a job retries it 30 s later."""
    one = upload(services)
    for n in range(3):
        claim = services.jobs.claim("only-worker")
        assert claim and claim.job.id == one.job_id, f"attempt {n}"
        services.jobs.fail(claim.job.id, claim.lease_id, f"boom {n}")
        assert services.jobs.claim("only-worker") is None
        services.clock.advance(seconds=31)
    assert services.jobs.failed(job(services, one.job_id))
    assert services.jobs.claim("only-worker") is None


def test_a_retry_forgets_who_failed_the_job(services: Services) -> None:
    """After the doctor's Retry the worker that failed the job may take it at once."""
    one = upload(services)
    claim = services.jobs.claim("gpu")
    assert claim
    services.jobs.fail(claim.job.id, claim.lease_id, "boom")
    services.jobs.decide(one.job_id, 0, RETRY)
    assert services.jobs.claim("gpu") is not None


def test_each_slot_says_whether_it_is_filled_being_made_or_waiting(services: Services) -> None:
    """Results first, then the slot a worker holds (by whom, since when), then the open one."""
    one = upload(services)
    first = services.jobs.claim("gpu-1")
    assert first
    services.clock.advance(seconds=5)
    views = services.jobs.slot_views(job(services, one.job_id))
    assert [(v.state, v.worker) for v in views] == [
        (SlotState.BEING_MADE, "gpu-1"),
        (SlotState.WAITING, None),
    ]
    assert views[0].since == first.slot.claimed_at
    second = services.jobs.claim("cpu")
    assert second
    services.jobs.submit(second.job.id, result((1, 2, 3)), second.lease_id)
    views = services.jobs.slot_views(job(services, one.job_id))
    assert [(v.state, v.worker) for v in views] == [
        (SlotState.FILLED, "cpu"),
        (SlotState.BEING_MADE, "gpu-1"),
    ]
    services.clock.advance(seconds=LEASE.total_seconds())
    views = services.jobs.slot_views(job(services, one.job_id))
    assert [v.state for v in views] == [SlotState.FILLED, SlotState.WAITING]  # lease ran out


def test_the_slots_of_a_failed_case_say_failed(services: Services) -> None:
    """After the last allowed failure the empty slots show "failed" until the doctor retries."""
    one = upload(services)
    for n in range(services.jobs.max_attempts):
        claim = services.jobs.claim(f"gpu-{n}")  # each worker fails it once (ADR 13)
        assert claim
        services.jobs.fail(claim.job.id, claim.lease_id, "CUDA error")
    views = services.jobs.slot_views(job(services, one.job_id))
    assert [v.state for v in views] == [SlotState.FAILED, SlotState.FAILED]
    services.jobs.decide(one.job_id, 0, RETRY)
    views = services.jobs.slot_views(job(services, one.job_id))
    assert [v.state for v in views] == [SlotState.WAITING, SlotState.WAITING]
