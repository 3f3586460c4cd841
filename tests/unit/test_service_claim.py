"""JobService.claim: which result slot a polling GPU worker gets, and leases that run out."""

from __future__ import annotations

import pytest

from tests.conftest import Backend
from tests.fakes.fakes import FakeClock
from tests.images import png
from tests.unit.service_kit import LEASE, Services, build, job, result, upload


@pytest.fixture
def services(backend: Backend, clock: FakeClock) -> Services:
    """The core services on the backend under test."""
    return build(backend, clock)


def test_claim_returns_none_when_nothing_is_queued(services: Services) -> None:
    """A worker polling an empty queue gets nothing."""
    assert services.jobs.claim() is None


def test_claim_hands_out_the_oldest_job_first(services: Services) -> None:
    """With several jobs waiting, the first claim is for the job uploaded first."""
    first = upload(services, png(10, 10), animal_name="First")
    services.clock.advance(seconds=5)
    upload(services, png(12, 12), animal_name="Second")

    claim = services.jobs.claim()

    assert claim is not None
    assert claim.job.id == first.job_id
    assert claim.job.info.animal_name == "First"
    assert claim.photo == services.jobs.image(first.job_id, "original")


def test_each_claim_leases_one_slot_of_the_job(services: Services) -> None:
    """Two claims on a job wanting two results lease its two slots under different lease ids."""
    upload(services)

    one = services.jobs.claim()
    two = services.jobs.claim()

    assert one is not None
    assert two is not None
    assert one.job.id == two.job.id
    assert {one.slot.index, two.slot.index} == {0, 1}
    assert one.lease_id != two.lease_id
    assert one.slot.leased_until == services.clock.now() + LEASE


def test_a_job_with_every_slot_leased_is_skipped_for_the_next_one(services: Services) -> None:
    """Once all slots of the oldest job are leased, the next claim goes to the next job."""
    first = upload(services)
    second = upload(services)

    claimed = [services.jobs.claim() for _ in range(3)]

    assert [c.job.id for c in claimed if c] == [first.job_id, first.job_id, second.job_id]


def test_claim_returns_none_when_every_slot_is_leased(services: Services) -> None:
    """No slot is handed out twice while its lease holds: the third claim on one job gets none."""
    upload(services)
    services.jobs.claim()
    services.jobs.claim()

    assert services.jobs.claim() is None


def test_claim_returns_none_when_every_slot_is_filled(services: Services) -> None:
    """A job with all its results is never handed out again, even after the leases' end."""
    answer = upload(services)
    services.jobs.submit(answer.job_id, result((1, 2, 3)))
    services.jobs.submit(answer.job_id, result((4, 5, 6)))
    services.clock.advance(seconds=3600)

    assert services.jobs.claim() is None
    assert len(job(services, answer.job_id).results()) == 2


def test_a_leased_slot_stays_taken_until_the_lease_ends(services: Services) -> None:
    """599 seconds into a 600-second lease the slot is still not handed out again."""
    upload(services)
    services.jobs.claim()
    services.jobs.claim()

    services.clock.advance(seconds=599)

    assert services.jobs.claim() is None


def test_a_leased_slot_comes_back_after_the_lease(services: Services) -> None:
    """A slot whose worker never answered is handed out again once its lease has run out."""
    answer = upload(services)
    first = services.jobs.claim()
    services.jobs.claim()

    services.clock.advance(seconds=601)
    again = services.jobs.claim()

    assert first is not None
    assert again is not None
    assert again.job.id == answer.job_id
    assert again.slot.index == first.slot.index
    assert again.lease_id != first.lease_id


def test_an_expired_lease_of_an_older_job_comes_before_a_newer_job(services: Services) -> None:
    """A slot whose lease ran out on the oldest job is served before a fresh newer job."""
    first = upload(services)
    services.jobs.claim()
    services.jobs.claim()
    services.clock.advance(seconds=601)
    upload(services)

    again = services.jobs.claim()

    assert again is not None
    assert again.job.id == first.job_id


def test_only_open_slots_come_back_after_the_lease(services: Services) -> None:
    """After the lease, a slot that got its result stays filled and only the other one returns."""
    answer = upload(services)
    one = services.jobs.claim()
    two = services.jobs.claim()
    assert one is not None
    assert two is not None
    services.jobs.submit(answer.job_id, result((9, 9, 9)), one.lease_id)

    services.clock.advance(seconds=601)
    again = services.jobs.claim()

    assert again is not None
    assert again.slot.index == two.slot.index
    assert services.jobs.claim() is None
