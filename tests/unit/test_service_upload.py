"""JobService.upload and JobService.image: what the booth stores and hands back."""

from __future__ import annotations

import pytest

from tests.conftest import Backend
from tests.fakes.fakes import FakeClock
from tests.images import asset, jpeg, png
from tests.unit.service_kit import (
    PNG_MAGIC,
    Services,
    blob_keys,
    build,
    image_size,
    job,
    upload,
)
from xray_core.errors import UnsupportedMediaError
from xray_core.jobs.errors import InvalidFieldError, JobNotFoundError, ResultNotFoundError


@pytest.fixture
def services(backend: Backend, clock: FakeClock) -> Services:
    """The core services on the backend under test."""
    return build(backend, clock)


def test_upload_stores_the_photo_as_a_png_of_the_same_size(services: Services) -> None:
    """An uploaded PNG is kept as a PNG with the same pixel size and served as the original."""
    answer = upload(services, png(40, 30))

    stored = services.jobs.image(answer.job_id, "original")
    assert stored.startswith(PNG_MAGIC)
    assert image_size(stored) == (40, 30)
    assert stored in {services.backend.blobs.get(k) for k in blob_keys(services.backend)}


def test_upload_turns_a_jpeg_photo_into_png(services: Services) -> None:
    """A JPEG photo from the booth camera is stored as a PNG of the same size."""
    answer = upload(services, asset("teddy.jpg"))

    stored = services.jobs.image(answer.job_id, "original")
    assert stored.startswith(PNG_MAGIC)
    assert image_size(stored) == (1600, 1600)


def test_upload_returns_the_job_id_and_how_many_jobs_are_waiting(services: Services) -> None:
    """Each upload answers with a new job id and the number of jobs now pending."""
    first = upload(services)
    second = upload(services, jpeg())

    assert first.current_jobs == 1
    assert second.current_jobs == 2
    assert first.job_id != second.job_id
    assert [j.id for j in services.jobs.pending()] == [first.job_id, second.job_id]


def test_upload_keeps_the_details_the_doctor_typed(services: Services) -> None:
    """Names, animal type, QR text and the broken-bone tick show up in pending() as sent."""
    answer = upload(
        services,
        first_name="  Anna ",
        last_name="Muster",
        animal_name="Brumm",
        animal_type="CAT",
        qr_content="http://elsewhere.example/x",
        broken_bone="true",
    )

    info = job(services, answer.job_id).info
    assert (info.first_name, info.last_name, info.animal_name) == ("Anna", "Muster", "Brumm")
    assert info.animal_type == "cat"
    assert info.qr_content == "http://elsewhere.example/x"
    assert info.broken_bone is True


def test_upload_without_an_animal_type_files_it_under_other(services: Services) -> None:
    """A missing animal type becomes "other", which is always offered."""
    answer = upload(services, animal_type=None)

    assert job(services, answer.job_id).info.animal_type == "other"
    assert services.jobs.animal_types == ["dog", "cat", "other"]


@pytest.mark.parametrize(
    "name",
    ["Jürgen", "Анна", "李小龙", "Zoë 🧸", "👨\u200d👩\u200d👧 family", "👍🏽", "🇩🇪 Bär"],
)
def test_unicode_names_round_trip_unchanged(services: Services, name: str) -> None:
    """Owner and animal names in any script, emoji included, come back from pending() as typed."""
    answer = upload(services, first_name=name, last_name=name, animal_name=name)

    info = job(services, answer.job_id).info
    assert (info.first_name, info.last_name, info.animal_name) == (name, name, name)


def test_subdivision_flag_emoji_in_a_name_round_trips(services: Services) -> None:
    """An emoji tag sequence (the Scottish flag) is an ordinary emoji and is kept as typed."""
    name = "Nessie \U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"

    answer = upload(services, animal_name=name)

    assert job(services, answer.job_id).info.animal_name == name


def test_a_name_of_exactly_one_hundred_characters_is_accepted(services: Services) -> None:
    """The length limit allows 100 characters."""
    answer = upload(services, first_name="x" * 100)

    assert job(services, answer.job_id).info.first_name == "x" * 100


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("first_name", ""),
        ("first_name", "   "),
        ("first_name", None),
        ("last_name", "\t \n"),
        ("animal_name", ""),
        ("first_name", "x" * 101),
        ("last_name", "y" * 101),
        ("animal_name", "z" * 101),
        ("first_name", "Anna\r\nX-Injected: 1"),
        ("last_name", "Mus\nter"),
        ("animal_name", "Br\x00umm"),
        ("animal_name", "Br\x1bumm"),
        ("first_name", "Anna\u2028Maria"),
        ("last_name", "\u202eretsuM"),
        ("qr_content", ""),
        ("qr_content", "q" * 501),
        ("qr_content", "http://booth.test/p/abc\r\nSet-Cookie: x"),
        ("animal_type", "dragon"),
        ("animal_type", "horse"),
        ("broken_bone", "maybe"),
    ],
)
def test_an_invalid_field_is_refused_and_nothing_is_stored(
    services: Services, field: str, value: str | None
) -> None:
    """A wrong form field raises InvalidFieldError naming it, and leaves no job and no blob."""
    with pytest.raises(InvalidFieldError) as caught:
        upload(services, **{field: value})

    assert caught.value.field == field
    assert services.jobs.pending() == []
    assert blob_keys(services.backend) == set()
    assert services.jobs.claim() is None


@pytest.mark.parametrize(
    "data",
    [b"", b"hello, I am not a picture", b"%PDF-1.4\n", png()[:40], b"GIF89a" + b"\x00" * 40],
    ids=["empty", "text", "pdf", "truncated-png", "gif"],
)
def test_a_non_image_is_refused_and_nothing_is_stored(services: Services, data: bytes) -> None:
    """Data that is not a JPEG, PNG or WebP raises UnsupportedMediaError and stores nothing."""
    with pytest.raises(UnsupportedMediaError):
        upload(services, data)

    assert services.jobs.pending() == []
    assert blob_keys(services.backend) == set()


def test_a_refused_upload_leaves_earlier_jobs_untouched(services: Services) -> None:
    """A bad upload after a good one changes neither the queue nor the stored blobs."""
    good = upload(services)
    before = blob_keys(services.backend)

    with pytest.raises(InvalidFieldError):
        upload(services, animal_type="unicorn")

    assert [j.id for j in services.jobs.pending()] == [good.job_id]
    assert blob_keys(services.backend) == before


def test_image_of_an_unknown_job_is_not_found(services: Services) -> None:
    """Asking for the original of a job that never existed raises JobNotFoundError."""
    with pytest.raises(JobNotFoundError):
        services.jobs.image(999, "original")


def test_image_of_a_result_not_received_yet_is_not_found(services: Services) -> None:
    """Asking for result 0 before any result arrived raises ResultNotFoundError."""
    answer = upload(services)

    with pytest.raises(ResultNotFoundError):
        services.jobs.image(answer.job_id, "0")


@pytest.mark.parametrize("option", ["xray", "-1", "1.0", "", "1234567", "²", "①"])
def test_image_with_a_malformed_option_is_refused_as_invalid(
    services: Services, option: str
) -> None:
    """An option that is neither "original" nor a plain result number raises InvalidFieldError."""
    answer = upload(services)

    with pytest.raises(InvalidFieldError):
        services.jobs.image(answer.job_id, option)
