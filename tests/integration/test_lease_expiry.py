"""Leases run out on an injected clock: in the memory, SQLite and PostgreSQL adapters, and over HTTP.

``JobService(lease=...)`` is what ``TEDDY_XRAY_LEASE_SECONDS`` sets. A claimed slot is not
handed out again while its lease runs, comes back the moment it ends, a late result of an
expired lease is still taken while nobody else holds the slot, and is refused once the slot
was leased again.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dependency_injector import providers
from litestar.testing import TestClient

from tests.conftest import Backend, wipe
from tests.fakes.fakes import FakeClock, FakePasswordHasher
from tests.images import png
from tests.integration.conftest import PASSWORD, app_for
from xray_core.adapters.pillow_images import PillowImageSanitizer
from xray_core.jobs.errors import JobCompleteError, LeaseLostError
from xray_core.jobs.model import Claim
from xray_core.jobs.service import JobService
from xray_http.container import build_deps, make_container
from xray_http.settings import load_settings

LEASE = timedelta(seconds=600)  # a long lease (the default is 120 s since extensions)
TICK = timedelta(microseconds=1)


def queue_on(backend: Backend, clock: FakeClock, results_per_image: int = 1) -> JobService:
    return JobService(
        backend.uow,
        backend.blobs,
        PillowImageSanitizer(),
        clock,
        results_per_image=results_per_image,
        lease=LEASE,
    )


def upload(service: JobService, n: int = 0) -> int:
    return service.upload(
        png(24, 24, (n, 50, 90)),
        first_name="Alice",
        last_name="Smith",
        animal_name=f"Bear {n}",
        qr_content=f"QR-{n}",
    ).job_id


def claim(service: JobService) -> Claim:
    got = service.claim()
    assert got is not None, "expected an open slot"
    return got


def result_keys(backend: Backend) -> set[str]:
    return {k for k, _ in backend.blobs.keys() if k.startswith("results/")}


def test_claimed_slot_is_not_handed_out_again_before_the_lease_ends(
    any_backend: Backend, clock: FakeClock
) -> None:
    """Up to the last microsecond of the lease, nobody else gets the slot."""
    service = queue_on(any_backend, clock)
    upload(service)
    claim(service)
    assert service.claim() is None
    clock.current += LEASE - TICK
    assert service.claim() is None


def test_claimed_slot_comes_back_when_the_lease_ends(
    any_backend: Backend, clock: FakeClock
) -> None:
    """At the end of the lease the same slot is handed out again, under a new lease id."""
    service = queue_on(any_backend, clock)
    job_id = upload(service)
    first = claim(service)
    clock.current += LEASE
    again = claim(service)
    assert (again.job.id, again.slot.index) == (job_id, first.slot.index)
    assert again.lease_id != first.lease_id
    assert again.slot.leased_until == clock.now() + LEASE
    assert service.claim() is None


def test_only_the_expired_slot_comes_back(any_backend: Backend, clock: FakeClock) -> None:
    """Of two slots leased at different times, only the one whose lease ended is reissued."""
    service = queue_on(any_backend, clock, results_per_image=2)
    upload(service)
    early = claim(service)
    clock.advance(seconds=300)
    late = claim(service)
    clock.current = early.slot.leased_until or clock.current
    again = claim(service)
    assert again.slot.index == early.slot.index != late.slot.index
    assert service.claim() is None


def test_expired_slot_of_an_older_job_comes_before_a_newer_job(
    any_backend: Backend, clock: FakeClock
) -> None:
    """Oldest job first holds for reissued slots too."""
    service = queue_on(any_backend, clock)
    older = upload(service, 1)
    claim(service)
    clock.advance(seconds=1)
    newer = upload(service, 2)
    clock.current += LEASE
    assert claim(service).job.id == older
    assert claim(service).job.id == newer


def test_late_result_of_an_expired_lease_nobody_took_over_is_accepted(
    any_backend: Backend, clock: FakeClock
) -> None:
    """A result arriving after its lease ended still fills the slot if it was not reissued."""
    service = queue_on(any_backend, clock)
    job_id = upload(service)
    first = claim(service)
    clock.current += LEASE + timedelta(hours=1)
    result = png(16, 16, (1, 2, 3))
    service.submit(job_id, result, first.lease_id)
    (job,) = service.pending()
    assert job.complete
    assert service.image(job_id, "0") == result
    assert service.claim() is None


def test_late_result_without_lease_id_fills_the_expired_slot(
    any_backend: Backend, clock: FakeClock
) -> None:
    """A worker that sends no lease id still completes the slot whose lease ran out."""
    service = queue_on(any_backend, clock)
    job_id = upload(service)
    claim(service)
    clock.current += LEASE * 3
    service.submit(job_id, png(16, 16, (4, 5, 6)))
    assert service.pending()[0].complete
    assert service.claim() is None


def test_late_result_whose_slot_was_leased_again_is_refused(
    any_backend: Backend, clock: FakeClock
) -> None:
    """The first worker's late result gets LeaseLostError, changes nothing; the second's counts."""
    service = queue_on(any_backend, clock)
    job_id = upload(service)
    first = claim(service)
    clock.current += LEASE
    second = claim(service)
    clock.advance(seconds=1)
    with pytest.raises(LeaseLostError):
        service.submit(job_id, png(16, 16, (7, 7, 7)), first.lease_id)
    (job,) = service.pending()
    assert [s.filled for s in job.slots] == [False]
    assert job.slots[0].lease_id == second.lease_id
    assert result_keys(any_backend) == set()
    result = png(16, 16, (8, 8, 8))
    service.submit(job_id, result, second.lease_id)
    assert service.image(job_id, "0") == result


def test_late_result_after_the_new_lease_finished_the_job_is_refused(
    any_backend: Backend, clock: FakeClock
) -> None:
    """Once the reissued slot is filled, the first worker's result is refused, nothing kept."""
    service = queue_on(any_backend, clock)
    job_id = upload(service)
    first = claim(service)
    clock.current += LEASE
    second = claim(service)
    service.submit(job_id, png(16, 16, (9, 9, 9)), second.lease_id)
    kept = result_keys(any_backend)
    with pytest.raises(JobCompleteError):
        service.submit(job_id, png(16, 16, (1, 1, 1)), first.lease_id)
    assert result_keys(any_backend) == kept


@dataclass
class ClockedApi:
    """The app with a fake clock in its container, a logged-in client and the clock."""

    client: TestClient  # type: ignore[type-arg]
    auth: dict[str, str]
    clock: FakeClock


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def clocked_api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ClockedApi]:
    """The app on SQLite or the emptied PostgreSQL, built on a fake clock from the start.

    The clock starts at the real time, so that the bearer token's ``iat`` is not in the
    future for PyJWT; the fake clock must be in the container before the JobService is built.
    """
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    settings = load_settings(
        environ={},
        data_dir=tmp_path / "data",
        password_hash=f"fake${PASSWORD}",
        lease_seconds=int(LEASE.total_seconds()),
        results_per_image=1,
        database_url=url,
    )
    clock = FakeClock(datetime.now(UTC))
    container = make_container(settings, clock=clock)
    container.security.hasher.override(providers.Object(FakePasswordHasher()))
    if not url:  # a copy of the migrated SQLite file: the start finds the schema current
        (tmp_path / "data").mkdir(exist_ok=True)
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), tmp_path / "data" / "xray.db")
    try:
        with (
            app_for(build_deps(container)) as app,
            TestClient(app, base_url="http://testserver.local") as client,
        ):
            if url:  # emptied once the start has migrated it (the session's first start does)
                wipe(container.storage.engine())
            token = client.post("/token", data={"password": PASSWORD}).json()["access_token"]
            yield ClockedApi(client, {"Authorization": f"Bearer {token}"}, clock)
    finally:
        container.storage.engine().dispose()


def http_upload(api: ClockedApi) -> int:
    response = api.client.post(
        "/upload",
        headers=api.auth,
        data={"first_name": "A", "last_name": "B", "animal_name": "C", "qr_content": "Q"},
        files={"file": ("p.png", png(), "image/png")},
    )
    assert response.status_code == 200, response.text
    return int(response.json()["job_id"])


def http_submit(api: ClockedApi, job_id: int, lease_id: str) -> int:
    response = api.client.post(
        "/job",
        headers=api.auth,
        data={"image_id": str(job_id), "lease_id": lease_id},
        files={"result": ("x.png", png(16, 16, (3, 3, 3)), "image/png")},
    )
    return response.status_code


def test_over_http_a_lease_expires_and_the_stale_result_is_409(clocked_api: ClockedApi) -> None:
    """GET /job is 204 while the lease runs, reissues the slot after; the old lease gets 409."""
    api = clocked_api
    job_ids = [http_upload(api), http_upload(api)]
    firsts = [api.client.get("/job", headers=api.auth) for _ in job_ids]
    assert [int(r.headers["img_id"]) for r in firsts] == job_ids
    api.clock.current += LEASE - TICK
    assert api.client.get("/job", headers=api.auth).status_code == 204
    api.clock.current += TICK
    seconds = [api.client.get("/job", headers=api.auth) for _ in job_ids]
    assert [int(r.headers["img_id"]) for r in seconds] == job_ids
    # Job 1: the reissued lease holds the slot, the first worker's result is refused.
    assert http_submit(api, job_ids[0], firsts[0].headers["lease_id"]) == 409
    assert http_submit(api, job_ids[0], seconds[0].headers["lease_id"]) == 200
    # Job 2: the second worker finished first, so the first worker's late result is refused.
    assert http_submit(api, job_ids[1], seconds[1].headers["lease_id"]) == 200
    late = api.client.post(
        "/job",
        headers=api.auth,
        data={"image_id": str(job_ids[1]), "lease_id": firsts[1].headers["lease_id"]},
        files={"result": ("x.png", png(), "image/png")},
    )
    assert late.status_code == 409
    assert "detail" in late.json()
    results = api.client.get("/results", headers=api.auth).json()["results"]
    assert {k: len(v) for k, v in results.items()} == {str(j): 1 for j in job_ids}
    assert api.client.get("/job", headers=api.auth).status_code == 204


def test_over_http_a_late_result_nobody_took_over_is_accepted(clocked_api: ClockedApi) -> None:
    """POST /job with an expired lease that was not reissued answers 200 and fills the slot."""
    api = clocked_api
    job_id = http_upload(api)
    lease_id = api.client.get("/job", headers=api.auth).headers["lease_id"]
    api.clock.current += LEASE * 2
    assert http_submit(api, job_id, lease_id) == 200
    assert api.client.get("/job", headers=api.auth).status_code == 204
