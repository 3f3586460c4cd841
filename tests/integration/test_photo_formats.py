"""Photos at the working resolution through the HTTP API: PNG routes, web sizes, caching."""

from __future__ import annotations

import io
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import bcrypt
import httpx
import pytest
from PIL import Image, ImageOps

from tests.images import asset, camera_jpeg, png
from tests.integration.conftest import Api
from tests.security.conftest import NAMES, stored_files
from tests.security.test_uploads import jpeg_with_gps
from tests.serverproc import Server
from xray_http.forms import SPOOL_BYTES

MB = 1024 * 1024


def upload(client: httpx.Client, auth: dict[str, str], photo: bytes) -> int:
    files = {"file": ("photo.jpg", photo, "image/jpeg")}
    response = client.post("/upload", headers=auth, data=NAMES, files=files)
    assert response.status_code == 200, response.text
    return int(response.json()["job_id"])


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)
    return out.getvalue()


def listing(api: Api) -> dict[str, object]:
    response = api.client.get("/results", headers=api.auth)
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    return body


def original(api: Api, job_id: int) -> httpx.Response:
    response = api.client.get(f"/results/{job_id}/original", headers=api.auth)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    return response


def originals_on_disk(api: Api) -> list[Path]:
    return [p for p in stored_files(api.settings.blob_dir) if "--" not in p.name]


@pytest.mark.slow
def test_a_4000x3000_photo_comes_back_as_a_2048x1536_png(api: Api) -> None:
    """A phone-sized photo is reduced to the working resolution once; the PNG route has it."""
    job_id = upload(api.client, api.auth, camera_jpeg(4000, 3000))
    image = decoded(original(api, job_id).content)
    assert (image.format, image.size, image.mode) == ("PNG", (2048, 1536), "RGB")
    (kept,) = originals_on_disk(api)
    assert kept.stat().st_size < 1.5 * MB  # a 12-megapixel PNG was 23 MB


@pytest.mark.parametrize("photo", ["own.jpg", "teddy.jpg", "turned"])
def test_a_small_photo_comes_back_pixel_for_pixel(api: Api, photo: str) -> None:
    """Within the working resolution, the PNG has the upload's exact pixels, turned upright."""
    data = jpeg_with_gps() if photo == "turned" else asset(photo)
    job_id = upload(api.client, api.auth, data)
    served = decoded(original(api, job_id).content)
    expected = ImageOps.exif_transpose(decoded(data)).convert("RGB")
    assert served.size == expected.size
    assert served.tobytes() == expected.tobytes()
    assert dict(served.getexif()) == {}


def test_a_photo_larger_than_the_in_memory_part_arrives_whole(api: Api) -> None:
    """A 7 MB upload (its form field goes through a temporary file) keeps every pixel."""
    noise = Image.frombytes("RGB", (1600, 1600), os.urandom(1600 * 1600 * 3))
    data = png_bytes(noise)
    assert len(data) > SPOOL_BYTES
    job_id = upload(api.client, api.auth, data)
    assert decoded(original(api, job_id).content).tobytes() == noise.tobytes()


def test_the_worker_gets_the_kept_jpeg_without_metadata(api: Api) -> None:
    """GET /job sends an upright JPEG as stored: image/jpeg, same pixels, no EXIF."""
    photo = asset("eichhornchen.jpeg")
    upload(api.client, api.auth, photo)
    job = api.client.get("/job", headers=api.auth)
    assert job.headers["content-type"] == "image/jpeg"
    assert b"Exif" not in job.content
    assert decoded(job.content).tobytes() == decoded(photo).tobytes()


def test_results_list_signed_web_sizes_per_slot(api: Api) -> None:
    """``previews`` names a web size of the photo, a thumbnail, and one entry per result slot."""
    job_id = upload(api.client, api.auth, asset("teddy.jpg"))
    job = api.client.get("/job", headers=api.auth)
    data = {"image_id": str(job_id), "lease_id": job.headers["lease_id"]}
    files = {"result": ("x.png", png(1800, 900), "image/png")}
    assert api.client.post("/job", headers=api.auth, data=data, files=files).status_code == 200
    previews = listing(api)["previews"][str(job_id)]  # type: ignore[index]
    assert previews["results"][1] is None
    sizes = {"original": 1280, "thumb": 320}
    for name, url in [*previews.items(), ("result", previews["results"][0])]:
        if name == "results":
            continue
        response = api.client.get(url)  # signed: no bearer token needed
        assert response.status_code == 200, name
        assert response.headers["content-type"] == "image/webp"
        assert max(decoded(response.content).size) == sizes.get(name, 1280)


def test_web_sizes_are_cached_privately_and_revalidate_to_304(api: Api) -> None:
    """A web size is immutable and private; with its ETag the server answers 304, no body."""
    job_id = upload(api.client, api.auth, asset("own.jpg"))
    url = listing(api)["previews"][str(job_id)]["original"]  # type: ignore[index]
    first = api.client.get(url)
    assert first.status_code == 200
    cache = first.headers["cache-control"]
    assert "private" in cache and "immutable" in cache and "public" not in cache
    again = api.client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert api.client.get(url).content == first.content


def test_media_links_refuse_a_bad_signature_size_or_key(api: Api) -> None:
    """A forged signature is 401, an unknown size 422, a key that is not a job image 404."""
    job_id = upload(api.client, api.auth, asset("own.jpg"))
    url = listing(api)["previews"][str(job_id)]["original"]  # type: ignore[index]
    parts = urlsplit(url)
    forged = url.replace("sig=", "sig=0")
    assert api.client.get(forged).status_code == 401
    path = parts.path.replace("/media/web/", "/media/huge/")
    assert api.client.get(path, headers=api.auth).status_code == 422
    assert api.client.get("/media/web/qr/batch-1.pdf", headers=api.auth).status_code == 404


@pytest.mark.e2e
def test_the_png_is_made_once_under_concurrent_requests_and_kept_over_a_restart(
    tmp_path: Path,
) -> None:
    """Eight first requests at once get the same PNG, stored once; a restarted server reuses it."""
    password = "formats-test"
    env = {"TEDDY_XRAY_PASSWORD_HASH": bcrypt.hashpw(password.encode(), bcrypt.gensalt(4)).decode()}
    data = tmp_path / "data"
    blob_dir = data / "blobs"

    def login(client: httpx.Client) -> dict[str, str]:
        token = client.post("/token", data={"password": password}).json()["access_token"]
        return {"Authorization": f"Bearer {token}"}

    server = Server(data, env=env).start()
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            auth = login(client)
            job_id = upload(client, auth, camera_jpeg(1200, 900))
            with ThreadPoolExecutor(8) as pool:
                answers = list(
                    pool.map(
                        lambda _: client.get(f"/results/{job_id}/original", headers=auth).content,
                        range(8),
                    )
                )
    finally:
        server.stop()
    assert len(set(answers)) == 1 and decoded(answers[0]).format == "PNG"
    (made,) = [p for p in stored_files(blob_dir) if p.name.endswith("--full.png")]
    before = made.stat()

    server = Server(data, env=env).start()
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            again = client.get(f"/results/{job_id}/original", headers=login(client))
    finally:
        server.stop()
    assert again.content == answers[0]
    after = made.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
