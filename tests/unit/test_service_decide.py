"""JobService.decide (confirm, retry, cancel), the carousel it feeds, and collect_garbage."""

from __future__ import annotations

import time

import pytest

from tests.conftest import Backend
from tests.fakes.fakes import FakeClock
from tests.images import png
from tests.unit.service_kit import (
    CANCEL,
    CAROUSEL_SIZE,
    CONFIRM,
    RETRY,
    Services,
    blob_keys,
    build,
    job,
    result,
    upload,
)
from xray_core.carousel.errors import CarouselIndexError
from xray_core.jobs.errors import (
    InvalidFieldError,
    JobAlreadyConfirmedError,
    JobCancelledError,
    JobNotFoundError,
    LeaseLostError,
    ResultNotReadyError,
)
from xray_core.jobs.model import Upload

RED = result((250, 0, 0))
GREEN = result((0, 250, 0))


@pytest.fixture
def services(backend: Backend, clock: FakeClock) -> Services:
    """The core services on the backend under test."""
    return build(backend, clock)


def with_results(
    services: Services, *results: bytes, photo: bytes | None = None, **fields: object
) -> Upload:
    """Upload a photo (with ``fields``) and post ``results`` for it, one second apart."""
    answer = upload(services, photo, **fields)
    for data in results:
        services.clock.advance(seconds=1)
        services.jobs.submit(answer.job_id, data)
    return answer


def test_confirm_puts_the_chosen_pair_on_the_carousel(services: Services) -> None:
    """The confirmed x-ray and its original photo become carousel item 0."""
    answer = with_results(services, RED, GREEN)
    original = services.jobs.image(answer.job_id, "original")

    services.jobs.decide(answer.job_id, 1, CONFIRM)

    assert services.carousel.count() == 1
    pair = services.carousel.pair(0)
    assert pair.xray == GREEN
    assert pair.original == original


def test_confirm_removes_the_job_from_pending_and_deletes_unchosen_results(
    services: Services,
) -> None:
    """After confirm the job is no longer pending and only the original and the chosen x-ray remain."""
    answer = with_results(services, RED, GREEN)
    original = services.jobs.image(answer.job_id, "original")

    services.jobs.decide(answer.job_id, 0, CONFIRM)

    assert services.jobs.pending() == []
    stored = sorted(services.backend.blobs.get(k) for k in blob_keys(services.backend))
    assert stored == sorted([original, RED])
    assert services.jobs.claim() is None


def test_confirm_with_one_result_of_two_is_allowed(services: Services) -> None:
    """The doctor may confirm the first result without waiting for the second."""
    answer = with_results(services, RED)

    services.jobs.decide(answer.job_id, 0, CONFIRM)

    assert services.carousel.pair(0).xray == RED


def test_the_carousel_shows_the_newest_confirm_first(services: Services) -> None:
    """Item 0 is the pair confirmed last, item 1 the one before."""
    older = with_results(services, RED, photo=png(10, 10, (1, 1, 1)))
    newer = with_results(services, GREEN, photo=png(10, 10, (2, 2, 2)))

    services.jobs.decide(older.job_id, 0, CONFIRM)
    services.clock.advance(seconds=1)
    services.jobs.decide(newer.job_id, 0, CONFIRM)

    assert [services.carousel.pair(i).xray for i in (0, 1)] == [GREEN, RED]


def test_a_second_confirm_raises_and_adds_no_carousel_entry(services: Services) -> None:
    """Confirming a job twice raises JobAlreadyConfirmedError and the carousel keeps one item."""
    answer = with_results(services, RED, GREEN)
    services.jobs.decide(answer.job_id, 0, CONFIRM)
    before = blob_keys(services.backend)

    with pytest.raises(JobAlreadyConfirmedError):
        services.jobs.decide(answer.job_id, 1, CONFIRM)

    assert services.carousel.count() == 1
    assert services.carousel.pair(0).xray == RED
    assert len(services.owners.listing()) == 1
    assert blob_keys(services.backend) == before


@pytest.mark.parametrize("action", [RETRY, CANCEL])
def test_no_retry_or_cancel_after_confirm(services: Services, action: object) -> None:
    """A confirmed job cannot be retried or cancelled, and its carousel pair stays intact."""
    answer = with_results(services, RED)
    services.jobs.decide(answer.job_id, 0, CONFIRM)
    before = blob_keys(services.backend)

    with pytest.raises(JobAlreadyConfirmedError):
        services.jobs.decide(answer.job_id, 0, action)  # type: ignore[arg-type]

    assert blob_keys(services.backend) == before
    assert services.carousel.pair(0).xray == RED


def test_confirming_a_result_not_yet_arrived_is_refused(services: Services) -> None:
    """Choosing result 1 while only result 0 is in raises ResultNotReadyError and changes nothing."""
    answer = with_results(services, RED)
    before = blob_keys(services.backend)

    with pytest.raises(ResultNotReadyError):
        services.jobs.decide(answer.job_id, 1, CONFIRM)

    assert services.carousel.count() == 0
    assert blob_keys(services.backend) == before
    assert services.jobs.image(answer.job_id, "0") == RED


@pytest.mark.parametrize("choice", [-1, 2, 99])
def test_confirming_a_choice_out_of_range_is_refused(services: Services, choice: int) -> None:
    """A choice outside 0..results_per_image-1 raises InvalidFieldError naming "choice"."""
    answer = with_results(services, RED, GREEN)
    before = blob_keys(services.backend)

    with pytest.raises(InvalidFieldError) as caught:
        services.jobs.decide(answer.job_id, choice, CONFIRM)

    assert caught.value.field == "choice"
    assert services.carousel.count() == 0
    assert blob_keys(services.backend) == before
    assert [j.id for j in services.jobs.pending()] == [answer.job_id]


def test_deciding_about_an_unknown_job_is_not_found(services: Services) -> None:
    """Confirm, retry or cancel of a job that never existed raises JobNotFoundError."""
    for action in (CONFIRM, RETRY, CANCEL):
        with pytest.raises(JobNotFoundError):
            services.jobs.decide(77, 0, action)


def test_the_carousel_keeps_its_size_and_older_pairs_stay_with_their_owners(
    services: Services,
) -> None:
    """With more confirms than carousel places, the oldest leave the screen but stay in storage."""
    confirmed = []
    for n in range(CAROUSEL_SIZE + 2):
        answer = with_results(services, result((n, 100, 100)), animal_name=f"Toy {n}")
        services.jobs.decide(answer.job_id, 0, CONFIRM)
        confirmed.append(answer.job_id)

    assert services.carousel.count() == CAROUSEL_SIZE
    shown = [services.carousel.pair(i).xray for i in range(CAROUSEL_SIZE)]
    assert shown == [result((n, 100, 100)) for n in (4, 3, 2)]
    with pytest.raises(CarouselIndexError):
        services.carousel.pair(CAROUSEL_SIZE)
    listing = services.owners.listing()
    assert [i.job_id for i in listing] == confirmed
    assert [i.animal_name for i in listing] == [f"Toy {n}" for n in range(5)]
    for item in listing:
        assert services.backend.blobs.get(item.xray_key).startswith(b"\x89PNG")
        assert services.backend.blobs.get(item.original_key).startswith(b"\x89PNG")


def test_an_empty_carousel_has_no_items(services: Services) -> None:
    """Before any confirm the carousel counts 0 and item 0 raises CarouselIndexError."""
    assert services.carousel.count() == 0
    with pytest.raises(CarouselIndexError):
        services.carousel.pair(0)


def test_retry_discards_the_results_and_queues_the_job_again(services: Services) -> None:
    """After retry the results' blobs are gone, pending shows none and workers can claim again."""
    answer = with_results(services, RED, GREEN)
    original = services.jobs.image(answer.job_id, "original")
    assert services.jobs.claim() is None

    services.jobs.decide(answer.job_id, 0, RETRY)

    assert job(services, answer.job_id).results() == []
    assert [services.backend.blobs.get(k) for k in blob_keys(services.backend)] == [original]
    claimed = [services.jobs.claim(), services.jobs.claim()]
    assert [c.job.id for c in claimed if c] == [answer.job_id, answer.job_id]
    assert claimed[0] is not None
    assert claimed[0].photo == original


def test_a_lease_from_before_a_retry_is_no_longer_valid(services: Services) -> None:
    """A worker still holding a lease from before the retry cannot fill the fresh slots with it."""
    answer = upload(services)
    stale = services.jobs.claim()
    assert stale is not None
    services.jobs.submit(answer.job_id, RED)

    services.jobs.decide(answer.job_id, 0, RETRY)

    with pytest.raises(LeaseLostError):
        services.jobs.submit(answer.job_id, GREEN, stale.lease_id)
    assert job(services, answer.job_id).results() == []


def test_retry_then_new_results_can_be_confirmed(services: Services) -> None:
    """A retried job takes new results, and confirming one shows it on the carousel."""
    answer = with_results(services, RED)
    services.jobs.decide(answer.job_id, 0, RETRY)
    services.jobs.submit(answer.job_id, GREEN)

    services.jobs.decide(answer.job_id, 0, CONFIRM)

    assert services.carousel.pair(0).xray == GREEN


def test_cancel_drops_the_job_and_deletes_its_images(services: Services) -> None:
    """A cancelled job leaves pending, its original and results are deleted, image() finds nothing."""
    answer = with_results(services, RED, GREEN)
    other = upload(services)
    kept = blob_keys(services.backend)

    services.jobs.decide(answer.job_id, 0, CANCEL)

    assert [j.id for j in services.jobs.pending()] == [other.job_id]
    assert len(blob_keys(services.backend)) == 1
    assert blob_keys(services.backend) < kept
    for option in ("original", "0"):
        with pytest.raises(JobNotFoundError):
            services.jobs.image(answer.job_id, option)
    assert services.carousel.count() == 0
    assert services.owners.listing() == []


def test_a_cancelled_job_is_not_handed_out_to_workers(services: Services) -> None:
    """After cancel, claims skip the job even once old leases have run out."""
    answer = upload(services)
    services.jobs.claim()
    services.jobs.decide(answer.job_id, 0, CANCEL)
    services.clock.advance(seconds=601)

    assert services.jobs.claim() is None


@pytest.mark.parametrize("action", [CANCEL, RETRY, CONFIRM])
def test_no_decision_after_cancel(services: Services, action: object) -> None:
    """Any decision about a cancelled job raises JobCancelledError."""
    answer = with_results(services, RED)
    services.jobs.decide(answer.job_id, 0, CANCEL)

    with pytest.raises(JobCancelledError):
        services.jobs.decide(answer.job_id, 0, action)  # type: ignore[arg-type]

    assert services.carousel.count() == 0


def test_collect_garbage_removes_only_old_orphans(services: Services) -> None:
    """An old unreferenced blob is removed; a referenced blob and a young orphan are kept."""
    answer = with_results(services, RED)
    services.jobs.decide(answer.job_id, 0, CONFIRM)
    pending = with_results(services, GREEN)
    referenced = blob_keys(services.backend)
    services.backend.blobs.put("originals/orphan-old.png", b"left by a crash")
    time.sleep(0.3)
    services.backend.blobs.put("results/orphan-young.png", b"upload in flight")

    removed = services.jobs.collect_garbage(min_age_seconds=0.2)

    assert removed == 1
    assert blob_keys(services.backend) == referenced | {"results/orphan-young.png"}
    assert services.carousel.pair(0).xray == RED
    assert services.jobs.image(pending.job_id, "0") == GREEN


def test_collect_garbage_keeps_the_latest_qr_pdf(services: Services) -> None:
    """The PDF of a rendered QR batch is referenced and survives garbage collection."""
    batch = services.qr.start(1)
    services.qr.render(batch.id)
    pdf = services.qr.download()

    assert services.jobs.collect_garbage(min_age_seconds=0) == 0
    assert services.qr.download() == pdf
