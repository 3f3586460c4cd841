"""ImageLibrary: the PNG of a JPEG photo and the web sizes, each made once, kept and cleaned up."""

from __future__ import annotations

import io
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image, ImageOps

from tests.conftest import Backend
from tests.fakes.fakes import FakeClock
from tests.images import asset, png
from tests.security.test_uploads import jpeg_with_gps
from tests.unit.service_kit import Services, blob_keys, build, upload
from xray_core.adapters.pillow_images import PillowImageSanitizer
from xray_core.errors import InvalidInputError, NotFoundError
from xray_core.images.previews import ImageLibrary
from xray_core.jobs.model import ConfirmAction
from xray_core.jobs.service import ORIGINAL


class CountingRenderer(PillowImageSanitizer):
    """The real Pillow renderer, counting what it made (and slow enough to overlap)."""

    def __init__(self) -> None:
        super().__init__()
        self.made: list[str] = []
        self._lock = threading.Lock()

    def to_png(self, data: bytes, orientation: int) -> bytes:
        """Make the PNG, then note it."""
        time.sleep(0.05)  # widen the window in which concurrent first requests overlap
        with self._lock:
            self.made.append("png")
        return super().to_png(data, orientation)


@pytest.fixture
def services(backend: Backend, clock: FakeClock) -> Services:
    """The core services on the backend under test."""
    return build(backend, clock)


def _decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_a_jpeg_photo_is_kept_as_jpeg_and_served_as_png_with_its_pixels(
    services: Services,
) -> None:
    """The stored photo is the JPEG's own data; the PNG made from it has the upload's pixels."""
    photo = asset("eichhornchen.jpeg")
    job_id = upload(services, photo).job_id
    stored = next(k for k in blob_keys(services.backend) if k.startswith("originals/"))
    assert stored.endswith(".jpg")
    served = _decoded(services.jobs.image(job_id, ORIGINAL))
    assert served.format == "PNG"
    expected = ImageOps.exif_transpose(_decoded(photo)).convert("RGB")
    assert served.size == expected.size and served.tobytes() == expected.tobytes()


def test_concurrent_first_requests_make_the_png_once(backend: Backend) -> None:
    """Eight threads asking at once for a PNG not yet made get one PNG, made one time."""
    renderer = CountingRenderer()
    library = ImageLibrary(backend.blobs, renderer)
    backend.blobs.put("originals/0123456789abcdef0123456789abcdef.jpg", asset("own.jpg"))
    key = "originals/0123456789abcdef0123456789abcdef.jpg"
    start = threading.Barrier(8)

    def ask() -> bytes:
        start.wait()
        return library.png(key)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: ask(), range(8)))
    assert renderer.made == ["png"]
    assert len(set(answers)) == 1 and answers[0].startswith(b"\x89PNG")
    assert blob_keys(backend) == {key, f"{key}--full.png"}


def test_a_turned_photo_is_upright_in_every_derived_image(services: Services) -> None:
    """A JPEG with EXIF orientation 6 is kept as is; its PNG, web size and worker copy are upright."""
    job_id = upload(services, jpeg_with_gps()).job_id
    key = next(iter(blob_keys(services.backend)))
    assert key.endswith(".o6.jpg")
    library = services.jobs.library
    assert _decoded(services.jobs.image(job_id, ORIGINAL)).size == (20, 40)
    assert _decoded(services.backend.blobs.get(library.preview_key(key, "web"))).size == (20, 40)
    claim = services.jobs.claim()
    assert claim is not None and claim.photo_type == "image/png"
    assert _decoded(claim.photo).size == (20, 40)


def test_web_sizes_and_thumbnails_are_small_webps(services: Services) -> None:
    """A 1600 px photo gets a 1280 px web size and a 320 px thumbnail, both WebP."""
    upload(services, asset("teddy.jpg"))
    key = next(iter(blob_keys(services.backend)))
    library = services.jobs.library
    web = _decoded(services.backend.blobs.get(library.preview_key(key, "web")))
    thumb = _decoded(services.backend.blobs.get(library.preview_key(key, "thumb")))
    assert (web.format, max(web.size)) == ("WEBP", 1280)
    assert (thumb.format, max(thumb.size)) == ("WEBP", 320)


def test_an_unknown_size_is_invalid_input(services: Services) -> None:
    """Only ``web`` and ``thumb`` exist."""
    upload(services)
    key = next(iter(blob_keys(services.backend)))
    with pytest.raises(InvalidInputError):
        services.jobs.library.preview_key(key, "huge")


def test_a_missing_image_has_no_derived_images(services: Services) -> None:
    """Asking for the web size of nothing is NotFoundError, and nothing is left behind."""
    with pytest.raises(NotFoundError):
        services.jobs.library.preview_key("originals/" + "0" * 32 + ".jpg", "web")
    assert blob_keys(services.backend) == set()


def test_a_cancelled_job_takes_its_derived_images_along(services: Services) -> None:
    """Cancelling deletes the photo, its PNG and its web sizes."""
    job_id = upload(services, asset("own.jpg")).job_id
    key = next(iter(blob_keys(services.backend)))
    services.jobs.image(job_id, ORIGINAL)
    services.jobs.library.preview_key(key, "web")
    services.jobs.library.preview_key(key, "thumb")
    assert len(blob_keys(services.backend)) == 4
    services.jobs.decide(job_id, 0, ConfirmAction.CANCEL)
    assert blob_keys(services.backend) == set()


def test_garbage_collection_keeps_derived_images_of_kept_photos(services: Services) -> None:
    """A PNG made of a photo still in use is not an orphan; one of a vanished photo is."""
    job_id = upload(services, asset("own.jpg")).job_id
    services.jobs.image(job_id, ORIGINAL)
    services.backend.blobs.put("originals/" + "f" * 32 + ".jpg--full.png", png(), durable=False)
    assert services.jobs.collect_garbage(min_age_seconds=0) == 1
    assert len(blob_keys(services.backend)) == 2


def test_an_edited_result_is_served_as_the_png_it_is(backend: Backend) -> None:
    """A result key with a fracture edit suffix is a PNG: no second PNG is made of it."""
    library = ImageLibrary(backend.blobs, PillowImageSanitizer())
    key = "results/" + "a" * 32 + ".png.fx1-0123456789ab"
    backend.blobs.put(key, png())
    assert library.png_key(key) == key
    assert library.media_type(key) == "image/png"
    assert library.preview_key(key, "thumb") == f"{key}--thumb.webp"
