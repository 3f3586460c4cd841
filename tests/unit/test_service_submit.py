"""JobService.submit: workers posting results, late results and refusals."""

from __future__ import annotations

import pytest

from tests.conftest import Backend
from tests.fakes.fakes import FakeClock
from tests.images import asset, jpeg
from tests.unit.service_kit import (
    CANCEL,
    CONFIRM,
    PNG_MAGIC,
    Services,
    blob_keys,
    build,
    image_size,
    job,
    result,
    upload,
)
from xray_core.errors import UnsupportedMediaError
from xray_core.jobs.errors import (
    JobAlreadyConfirmedError,
    JobCancelledError,
    JobCompleteError,
    JobNotFoundError,
    LeaseLostError,
)
from xray_core.jobs.model import Claim

RED = result((250, 0, 0))
GREEN = result((0, 250, 0))
BLUE = result((0, 0, 250))


@pytest.fixture
def services(backend: Backend, clock: FakeClock) -> Services:
    """The core services on the backend under test."""
    return build(backend, clock)


def claim(services: Services) -> Claim:
    """Claim a slot, failing the test if none is handed out."""
    claimed = services.jobs.claim()
    assert claimed is not None
    return claimed


def filled(services: Services, job_id: int) -> set[int]:
    """Return the indexes of the job's slots that hold a result."""
    return {s.index for s in job(services, job_id).slots if s.filled}


def test_a_png_result_is_stored_byte_for_byte(services: Services) -> None:
    """A worker's PNG comes back from image() exactly as posted."""
    answer = upload(services)
    lease = claim(services)
    posted = asset("bluemonkey_post.png")

    services.jobs.submit(answer.job_id, posted, lease.lease_id)

    assert services.jobs.image(answer.job_id, "0") == posted


def test_a_jpeg_result_is_served_as_png(services: Services) -> None:
    """A worker's JPEG result is converted: image() returns a PNG of the same size."""
    answer = upload(services)

    services.jobs.submit(answer.job_id, jpeg(48, 36))

    stored = services.jobs.image(answer.job_id, "0")
    assert stored.startswith(PNG_MAGIC)
    assert image_size(stored) == (48, 36)


def test_submit_with_a_lease_fills_that_leased_slot(services: Services) -> None:
    """A result naming its lease lands in the slot that lease was for."""
    answer = upload(services)
    claim(services)
    second = claim(services)

    services.jobs.submit(answer.job_id, RED, second.lease_id)

    assert filled(services, answer.job_id) == {second.slot.index}


def test_submit_without_a_lease_fills_the_longest_leased_slot(services: Services) -> None:
    """A result without lease id (an old worker) fills the slot leased longest ago."""
    answer = upload(services)
    first = claim(services)
    services.clock.advance(seconds=30)
    second = claim(services)

    services.jobs.submit(answer.job_id, RED)

    assert filled(services, answer.job_id) == {first.slot.index}
    services.jobs.submit(answer.job_id, GREEN, second.lease_id)
    assert services.jobs.image(answer.job_id, "1") == GREEN


def test_submit_without_a_lease_fills_an_open_slot_when_none_is_leased(services: Services) -> None:
    """A result without lease id for a job nobody claimed fills one of its open slots."""
    answer = upload(services)

    services.jobs.submit(answer.job_id, RED)

    assert len(filled(services, answer.job_id)) == 1
    assert services.jobs.image(answer.job_id, "0") == RED
    remaining = claim(services)
    assert remaining.slot.index not in filled(services, answer.job_id)


def test_a_late_result_is_accepted_while_its_slot_was_not_reassigned(services: Services) -> None:
    """A result arriving after its lease ran out still counts if nobody else got the slot."""
    answer = upload(services)
    lease = claim(services)

    services.clock.advance(seconds=900)
    services.jobs.submit(answer.job_id, RED, lease.lease_id)

    assert filled(services, answer.job_id) == {lease.slot.index}
    assert services.jobs.image(answer.job_id, "0") == RED


def test_a_late_result_for_a_reassigned_slot_is_refused(services: Services) -> None:
    """When an expired slot went to another worker, the first worker's result raises LeaseLostError."""
    answer = upload(services)
    slow = claim(services)
    claim(services)
    services.clock.advance(seconds=601)
    fast = claim(services)
    assert fast.slot.index == slow.slot.index
    before = blob_keys(services.backend)

    with pytest.raises(LeaseLostError):
        services.jobs.submit(answer.job_id, RED, slow.lease_id)

    assert filled(services, answer.job_id) == set()
    assert blob_keys(services.backend) == before
    services.jobs.submit(answer.job_id, GREEN, fast.lease_id)
    assert services.jobs.image(answer.job_id, "0") == GREEN


def test_a_second_result_for_the_same_lease_is_refused(services: Services) -> None:
    """A lease fills one slot only; posting again under it raises LeaseLostError."""
    answer = upload(services)
    lease = claim(services)
    services.jobs.submit(answer.job_id, RED, lease.lease_id)
    before = blob_keys(services.backend)

    with pytest.raises(LeaseLostError):
        services.jobs.submit(answer.job_id, GREEN, lease.lease_id)

    assert blob_keys(services.backend) == before
    assert len(job(services, answer.job_id).results()) == 1


def test_an_unknown_lease_id_is_refused(services: Services) -> None:
    """A lease id the server never handed out raises LeaseLostError and stores nothing."""
    answer = upload(services)
    claim(services)
    before = blob_keys(services.backend)

    with pytest.raises(LeaseLostError):
        services.jobs.submit(answer.job_id, RED, "not-a-lease")

    assert blob_keys(services.backend) == before
    assert filled(services, answer.job_id) == set()


def test_a_result_for_a_complete_job_is_refused(services: Services) -> None:
    """A job holding all its results raises JobCompleteError and keeps its two results."""
    answer = upload(services)
    services.jobs.submit(answer.job_id, RED)
    services.jobs.submit(answer.job_id, GREEN)
    before = blob_keys(services.backend)

    with pytest.raises(JobCompleteError):
        services.jobs.submit(answer.job_id, BLUE)

    assert blob_keys(services.backend) == before
    assert [services.jobs.image(answer.job_id, o) for o in ("0", "1")] == [RED, GREEN]


def test_a_result_for_a_confirmed_job_is_refused(services: Services) -> None:
    """After the doctor confirmed, a straggler's result raises JobAlreadyConfirmedError."""
    answer = upload(services)
    services.jobs.submit(answer.job_id, RED)
    services.jobs.decide(answer.job_id, 0, CONFIRM)
    before = blob_keys(services.backend)

    with pytest.raises(JobAlreadyConfirmedError):
        services.jobs.submit(answer.job_id, GREEN)

    assert blob_keys(services.backend) == before
    assert services.carousel.pair(0).xray == RED


def test_a_result_for_a_cancelled_job_is_refused(services: Services) -> None:
    """After the doctor cancelled, a straggler's result raises JobCancelledError."""
    answer = upload(services)
    lease = claim(services)
    services.jobs.decide(answer.job_id, 0, CANCEL)

    with pytest.raises(JobCancelledError):
        services.jobs.submit(answer.job_id, GREEN, lease.lease_id)

    assert blob_keys(services.backend) == set()


def test_a_result_for_an_unknown_job_is_refused(services: Services) -> None:
    """A result for a job id that never existed raises JobNotFoundError and stores nothing."""
    upload(services)
    before = blob_keys(services.backend)

    with pytest.raises(JobNotFoundError):
        services.jobs.submit(4242, RED)

    assert blob_keys(services.backend) == before


def test_a_result_that_is_not_an_image_is_refused(services: Services) -> None:
    """A worker posting garbage gets UnsupportedMediaError; its lease still works afterwards."""
    answer = upload(services)
    lease = claim(services)
    before = blob_keys(services.backend)

    with pytest.raises(UnsupportedMediaError):
        services.jobs.submit(answer.job_id, b"<html>oops</html>", lease.lease_id)

    assert blob_keys(services.backend) == before
    assert filled(services, answer.job_id) == set()
    services.jobs.submit(answer.job_id, RED, lease.lease_id)
    assert services.jobs.image(answer.job_id, "0") == RED


def test_results_are_numbered_in_order_of_arrival(services: Services) -> None:
    """Option i is the i-th result received, whatever slot it filled."""
    answer = upload(services)
    first = claim(services)
    second = claim(services)

    services.clock.advance(seconds=3)
    services.jobs.submit(answer.job_id, RED, second.lease_id)
    services.clock.advance(seconds=3)
    services.jobs.submit(answer.job_id, GREEN, first.lease_id)

    assert services.jobs.image(answer.job_id, "0") == RED
    assert services.jobs.image(answer.job_id, "1") == GREEN


def test_an_option_keeps_its_image_when_a_result_arrives_in_the_same_instant(
    services: Services,
) -> None:
    """Result 0 the doctor saw stays result 0 when a second one arrives at the same clock time."""
    answer = upload(services)
    first = claim(services)
    second = claim(services)
    services.jobs.submit(answer.job_id, RED, second.lease_id)
    assert services.jobs.image(answer.job_id, "0") == RED

    services.jobs.submit(answer.job_id, GREEN, first.lease_id)

    assert services.jobs.image(answer.job_id, "0") == RED
    assert services.jobs.image(answer.job_id, "1") == GREEN
