"""Owners: QR tokens made by QRService.start and confirmed x-rays filed under them."""

from __future__ import annotations

import re

import pytest

from tests.conftest import Backend
from tests.fakes.fakes import FakeClock
from tests.images import png
from tests.unit.service_kit import (
    CONFIRM,
    PUBLIC_URL,
    Services,
    build,
    result,
    upload,
)
from xray_core.owners.errors import OwnerNotFoundError
from xray_core.owners.model import Owner, OwnerItem, short_code

URL_SAFE = re.compile(r"^[A-Za-z0-9_-]+$")


@pytest.fixture
def services(backend: Backend, clock: FakeClock) -> Services:
    """The core services on the backend under test."""
    return build(backend, clock)


def owners_of_new_batch(services: Services, n: int) -> list[Owner]:
    """Start a QR batch of ``n`` codes and return its owners in print order."""
    batch = services.qr.start(n)
    with services.backend.uow() as uow:
        return uow.owners.for_batch(batch.id)


def confirm_for(services: Services, qr_content: str, xray: bytes, **fields: object) -> int:
    """Upload a photo scanned with ``qr_content``, post ``xray`` and confirm it; return the job id."""
    answer = upload(services, png(16, 16, (7, 7, 7)), qr_content=qr_content, **fields)
    services.jobs.submit(answer.job_id, xray)
    services.jobs.decide(answer.job_id, 0, CONFIRM)
    return answer.job_id


def test_start_records_one_owner_per_code_with_unguessable_tokens(services: Services) -> None:
    """A batch of n codes stores n owners with distinct URL-safe tokens of at least 128 bits."""
    owners = owners_of_new_batch(services, 25)

    tokens = [o.token for o in owners]
    assert len(tokens) == 25
    assert len(set(tokens)) == 25
    assert all(len(t) >= 22 and URL_SAFE.match(t) for t in tokens)
    assert [o.position for o in owners] == list(range(25))
    assert all(o.code == short_code(o.token) for o in owners)


def test_two_batches_never_share_a_token(services: Services) -> None:
    """Tokens of a second batch are new ones, and the first batch's owners stay."""
    first = {o.token for o in owners_of_new_batch(services, 10)}
    second = {o.token for o in owners_of_new_batch(services, 10)}

    assert first.isdisjoint(second)
    for token in first | second:
        assert services.owners.items(token) == []


def test_owner_url_is_the_public_page_of_the_token(services: Services) -> None:
    """The QR code of a token encodes {public_url}/p/{token}."""
    assert services.qr.owner_url("abc") == f"{PUBLIC_URL}/p/abc"


def test_a_new_owner_has_no_items_yet(services: Services) -> None:
    """A family that has not been to the booth sees an empty page."""
    (owner,) = owners_of_new_batch(services, 1)

    assert services.owners.items(owner.token) == []


def test_confirm_with_the_scanned_owner_url_files_the_xray_for_that_owner(
    services: Services,
) -> None:
    """A job whose qr_content is the owner's URL ends up in that owner's items with its details."""
    (owner,) = owners_of_new_batch(services, 1)
    xray = result((10, 20, 30))

    job_id = confirm_for(
        services, f"{PUBLIC_URL}/p/{owner.token}", xray, first_name="Jürgen", animal_name="Бруно"
    )

    (item,) = services.owners.items(owner.token)
    assert (item.job_id, item.external, item.owner_ref) == (job_id, False, owner.token)
    assert (item.first_name, item.animal_name) == ("Jürgen", "Бруно")
    assert services.owners.image(owner.token, item.id, "xray") == xray
    assert (
        services.owners.image(owner.token, item.id, "original")
        == services.carousel.pair(0).original
    )


@pytest.mark.parametrize(
    "typed",
    [
        lambda token: token,
        lambda token: f"  {token}  ",
        short_code,
        lambda token: short_code(token).lower().replace("-", " "),
        lambda token: short_code(token).lower(),
        lambda token: f"https://other-host.example/p/{token}?from=flyer",
    ],
    ids=["bare-token", "token-with-spaces", "short-code", "typed-code", "lower-code", "other-host"],
)
def test_other_ways_of_naming_the_owner_reach_the_same_owner(
    services: Services, typed: object
) -> None:
    """The bare token, the printed short code (even typed lower-case with a space) all resolve."""
    (owner,) = owners_of_new_batch(services, 1)

    confirm_for(services, typed(owner.token), result((1, 2, 3)))  # type: ignore[operator]

    (item,) = services.owners.items(owner.token)
    assert item.external is False
    assert services.owners.listing() == [item]


def test_an_unknown_qr_text_is_kept_as_an_external_item(services: Services) -> None:
    """A QR text naming none of our owners is confirmed as an external item in the listing."""
    owners_of_new_batch(services, 2)
    xray = result((4, 4, 4))

    job_id = confirm_for(services, "https://other-booth.example/ticket/17", xray)

    (item,) = services.owners.listing()
    assert isinstance(item, OwnerItem)
    assert (item.job_id, item.external) == (job_id, True)
    assert item.owner_ref == "https://other-booth.example/ticket/17"
    assert services.backend.blobs.get(item.xray_key) == xray


@pytest.mark.parametrize(
    "text",
    ["https://other-booth.example/ticket/17", "made-up-token-ABCDEFGHIJKLMNOP", "ABCD-EFGH"],
)
def test_an_unknown_token_has_no_page(services: Services, text: str) -> None:
    """OwnerService.items of a text that is not one of our tokens raises OwnerNotFoundError."""
    owners_of_new_batch(services, 1)
    confirm_for(services, text, result((5, 5, 5)))

    with pytest.raises(OwnerNotFoundError):
        services.owners.items(text)


def test_a_family_sees_only_its_own_items(services: Services) -> None:
    """Items confirmed for one owner never show on another owner's page."""
    mine, theirs = owners_of_new_batch(services, 2)
    confirm_for(services, f"{PUBLIC_URL}/p/{mine.token}", result((1, 1, 1)), animal_name="Mine")
    confirm_for(services, f"{PUBLIC_URL}/p/{theirs.token}", result((2, 2, 2)), animal_name="Theirs")
    confirm_for(services, "external text", result((3, 3, 3)), animal_name="External")

    assert [i.animal_name for i in services.owners.items(mine.token)] == ["Mine"]
    assert [i.animal_name for i in services.owners.items(theirs.token)] == ["Theirs"]
    (theirs_item,) = services.owners.items(theirs.token)
    with pytest.raises(OwnerNotFoundError):
        services.owners.image(mine.token, theirs_item.id, "xray")


def test_one_owner_collects_several_toys_oldest_first(services: Services) -> None:
    """Two toys of one family are both kept on its page, in the order they were confirmed."""
    (owner,) = owners_of_new_batch(services, 1)
    url = f"{PUBLIC_URL}/p/{owner.token}"
    confirm_for(services, url, result((1, 1, 1)), animal_name="Bear")
    services.clock.advance(seconds=60)
    confirm_for(services, url, result((2, 2, 2)), animal_name="Rabbit")

    assert [i.animal_name for i in services.owners.items(owner.token)] == ["Bear", "Rabbit"]


def test_owner_image_of_an_unknown_kind_is_not_found(services: Services) -> None:
    """Only "xray" and "original" can be downloaded from an owner's item."""
    (owner,) = owners_of_new_batch(services, 1)
    confirm_for(services, owner.token, result((1, 1, 1)))
    (item,) = services.owners.items(owner.token)

    with pytest.raises(OwnerNotFoundError):
        services.owners.image(owner.token, item.id, "thumbnail")


def test_a_short_code_typed_with_lookalike_digits_still_finds_its_owner() -> None:
    """Typing 0 for O, 1 for I or 8 for B reads as the code printed under the QR."""
    from xray_core.owners.model import normalise_code

    assert normalise_code("0upt-6ohu") == "OUPT-6OHU"
    assert normalise_code("a7cy 7251") == "A7CY-725I"
    assert normalise_code("8QRS-TUVW") == "BQRS-TUVW"
    assert normalise_code("a sticker from somewhere else") is None
