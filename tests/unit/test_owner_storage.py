"""The OwnerStorage port behind confirm: the built-in one, and another plugged in."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import Backend
from tests.fakes.fakes import FakeClock
from tests.images import png
from xray_core.adapters.pillow_images import PillowImageSanitizer
from xray_core.jobs.model import ConfirmAction
from xray_core.jobs.service import JobService
from xray_core.owners.model import OwnerItem
from xray_core.owners.ports import OwnerRepository
from xray_core.owners.service import DatabaseOwnerStorage, OwnerService


class FakeCloudFolder:
    """An owner storage that copies each confirmed x-ray to a "cloud" dict after commit."""

    def __init__(self, failing: bool = False) -> None:
        self.inner = DatabaseOwnerStorage()
        self.folder: dict[str, list[int]] = {}
        self.failing = failing

    def keep(self, owners: OwnerRepository, item: OwnerItem) -> OwnerItem:
        return self.inner.keep(owners, item)

    def publish(self, item: OwnerItem) -> None:
        if self.failing:
            raise ConnectionError("cloud folder unreachable")
        self.folder.setdefault(item.owner_ref, []).append(item.id)


def confirm_one(backend: Backend, clock: FakeClock, storage: FakeCloudFolder) -> int:
    jobs = JobService(
        backend.uow,
        backend.blobs,
        PillowImageSanitizer(),
        clock,
        results_per_image=1,
        lease=timedelta(minutes=10),
        owner_storage=storage,
    )
    job_id = jobs.upload(
        png(), first_name="A", last_name="B", animal_name="C", qr_content="family-7"
    ).job_id
    claim = jobs.claim()
    assert claim is not None
    jobs.submit(job_id, png(colour=(9, 9, 9)), claim.lease_id)
    jobs.decide(job_id, 0, ConfirmAction.CONFIRM)
    return job_id


def test_another_owner_storage_receives_each_confirmed_item(
    backend: Backend, clock: FakeClock
) -> None:
    """A plugged-in owner storage gets the confirmed item, with its id, after the commit."""
    storage = FakeCloudFolder()
    confirm_one(backend, clock, storage)
    items = OwnerService(backend.uow, backend.blobs).listing()
    assert storage.folder == {"family-7": [items[0].id]}


def test_a_failing_owner_storage_does_not_undo_the_confirm(
    backend: Backend, clock: FakeClock
) -> None:
    """When publishing fails, the x-ray is still confirmed and kept in the database."""
    storage = FakeCloudFolder(failing=True)
    job_id = confirm_one(backend, clock, storage)
    items = OwnerService(backend.uow, backend.blobs).listing()
    assert [i.job_id for i in items] == [job_id]
    with backend.uow() as uow:
        assert len(uow.carousel.latest(10)) == 1
