"""Shared building blocks of the service tests: the services on one backend and small helpers.

This module holds no tests; the ``test_service_*`` files import from it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

from PIL import Image

from tests.conftest import Backend
from tests.fakes.fakes import FakeClock
from tests.images import png
from xray_core.adapters.pillow_images import PillowImageSanitizer
from xray_core.adapters.qr_sheet import ReportLabQRSheetRenderer
from xray_core.carousel.service import CarouselService
from xray_core.jobs.model import ConfirmAction, Job, Upload
from xray_core.jobs.service import JobService
from xray_core.owners.service import OwnerService
from xray_core.qr.service import QRService

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
LEASE = timedelta(seconds=600)
PUBLIC_URL = "http://booth.test"
CAROUSEL_SIZE = 3

CONFIRM = ConfirmAction.CONFIRM
RETRY = ConfirmAction.RETRY
CANCEL = ConfirmAction.CANCEL


@dataclass
class Services:
    """The core services wired to one backend and one fake clock."""

    backend: Backend
    clock: FakeClock
    jobs: JobService
    carousel: CarouselService
    qr: QRService
    owners: OwnerService


def build(backend: Backend, clock: FakeClock, *, keep_batches: int = 10) -> Services:
    """Return the services on ``backend`` with the settings every service test assumes."""
    jobs = JobService(
        backend.uow,
        backend.blobs,
        PillowImageSanitizer(),
        clock,
        results_per_image=2,
        lease=LEASE,
        animal_types=("dog", "cat"),
    )
    return Services(
        backend=backend,
        clock=clock,
        jobs=jobs,
        carousel=CarouselService(
            backend.uow, backend.blobs, size=CAROUSEL_SIZE, library=jobs.library
        ),
        qr=QRService(
            backend.uow,
            backend.blobs,
            ReportLabQRSheetRenderer(),
            clock,
            public_url=PUBLIC_URL,
            keep_batches=keep_batches,
        ),
        owners=OwnerService(backend.uow, backend.blobs, jobs.library),
    )


def upload(services: Services, photo: bytes | None = None, **fields: object) -> Upload:
    """Upload ``photo`` (a small PNG by default) with valid details, overridden by ``fields``."""
    form: dict[str, object] = {
        "first_name": "Anna",
        "last_name": "Muster",
        "animal_name": "Brumm",
        "qr_content": "a sticker from somewhere else",
        "animal_type": "dog",
    }
    form.update(fields)
    return services.jobs.upload(png() if photo is None else photo, **form)  # type: ignore[arg-type]


def blob_keys(backend: Backend) -> set[str]:
    """Return every key the backend's blob store holds."""
    return {key for key, _age in backend.blobs.keys()}


def job(services: Services, job_id: int) -> Job:
    """Return the pending job ``job_id`` as ``pending()`` shows it."""
    return next(j for j in services.jobs.pending() if j.id == job_id)


def image_size(data: bytes) -> tuple[int, int]:
    """Return the pixel size of an encoded image."""
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def result(colour: tuple[int, int, int]) -> bytes:
    """Return a distinguishable small PNG result."""
    return png(20, 20, colour)
