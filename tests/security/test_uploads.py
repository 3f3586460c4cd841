"""Hostile files: not images, bombs, metadata, and bodies over the size limit."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import ExifTags, Image

from tests.images import jpeg, png
from tests.security.conftest import (
    NAMES,
    Api,
    Live,
    assert_json_error,
    assert_nothing_stored,
    stored_files,
)

MB = 1024 * 1024


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int) -> bytes:
    """A tiny 1-bit PNG whose header claims ``width`` x ``height`` pixels."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = zlib.compress(b"\x00" * (1 + (width + 7) // 8))
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", row)
        + png_chunk(b"IEND", b"")
    )


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small JPEG whose frame header is patched to claim ``width`` x ``height``."""
    data = bytearray(jpeg())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("P", (8, 8)).save(buffer, "GIF")
    return buffer.getvalue()


def zip_file() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("photo.jpg", jpeg())
    return buffer.getvalue()


def jpeg_with_gps() -> bytes:
    """A 40x20 JPEG, EXIF orientation 6 (rotate), a camera make and a GPS position."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SpyCam"
    exif[ExifTags.Base.Orientation] = 6
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 8.0, 30.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (11.0, 34.0, 12.0)
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (10, 200, 30)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


NOT_IMAGES = {
    "text named .jpg": b"just some text, honestly a photo",
    "PDF": b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
    "SVG with script": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "HTML": b"<!doctype html><html><body><script>fetch('/results')</script></body></html>",
    "zip": zip_file(),
    "GIF": gif(),
    "truncated JPEG": jpeg(64, 64)[:300],
    "truncated PNG": png(64, 64)[:60],
    "JPEG magic then garbage": b"\xff\xd8\xff\xe0" + b"\x00" * 500,
    "PNG magic then garbage": b"\x89PNG\r\n\x1a\n" + b"\xff" * 500,
}
TOO_MANY_PIXELS = {
    "PNG declaring 30000x30000": png_declaring(30_000, 30_000),
    "PNG declaring 100000x1": png_declaring(100_000, 1000),
    "JPEG declaring 60000x60000": jpeg_declaring(60_000, 60_000),
}


def upload(api: Api, content: bytes, name: str = "photo.jpg") -> httpx.Response:
    files = {"file": (name, content, "image/jpeg")}
    return api.client.post("/upload", headers=api.auth, data=NAMES, files=files)


def fetch_original(api: Api, job_id: int) -> bytes:
    """The stored original, through the signed URL /results hands out."""
    url = api.client.get("/results", headers=api.auth).json()["originals"][str(job_id)]
    response = api.client.get(url)
    assert response.status_code == 200
    return response.content


class TestPhotos:
    @pytest.mark.parametrize("kind", list(NOT_IMAGES))
    def test_non_images_are_415_and_nothing_is_stored(self, api: Api, kind: str) -> None:
        """Whatever the file name says, content that is not JPEG/PNG/WebP is 415."""
        assert_json_error(upload(api, NOT_IMAGES[kind]), 415)
        assert_nothing_stored(api)

    @pytest.mark.parametrize("kind", list(TOO_MANY_PIXELS))
    def test_pixel_bombs_are_413_and_never_decoded(self, api: Api, kind: str) -> None:
        """A tiny file declaring a huge picture is refused from its header alone."""
        response = upload(api, TOO_MANY_PIXELS[kind], "bomb.png")
        assert_json_error(response, 413)
        assert "pixels" in response.json()["detail"]
        assert_nothing_stored(api)

    def test_empty_and_missing_files_are_422(self, api: Api) -> None:
        """An empty file or none at all is refused, naming the field."""
        assert_json_error(upload(api, b""), 422)
        no_file = api.client.post("/upload", headers=api.auth, data=NAMES)
        assert_json_error(no_file, 422)
        assert "file" in no_file.json()["detail"]
        assert_nothing_stored(api)

    def test_stored_original_has_no_exif_or_gps_and_is_upright(self, api: Api) -> None:
        """EXIF (GPS included) is gone from the stored PNG, after turning the photo upright."""
        photo = jpeg_with_gps()
        assert Image.open(io.BytesIO(photo)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
        response = upload(api, photo)
        assert response.status_code == 200
        stored = fetch_original(api, response.json()["job_id"])
        image = Image.open(io.BytesIO(stored))
        assert image.format == "PNG"
        assert dict(image.getexif()) == {}
        assert not {"exif", "xmp", "icc_profile", "dpi"} & set(image.info)
        for marker in (b"eXIf", b"Exif", b"SpyCam", b"tEXt", b"iTXt", b"zTXt"):
            assert marker not in stored
        assert image.size == (20, 40)

    def test_polyglot_jpeg_is_stored_without_its_payload(self, api: Api) -> None:
        """A real JPEG with HTML appended is accepted as the image it is, re-encoded clean."""
        payload = b"<html><script>alert('owned')</script></html>"
        response = upload(api, jpeg() + payload)
        assert response.status_code == 200
        assert payload not in fetch_original(api, response.json()["job_id"])


def claim(api: Api) -> httpx.Response:
    response = api.client.get("/job", headers=api.auth)
    assert response.status_code == 200
    return response


def submit(api: Api, job: httpx.Response, result: bytes) -> httpx.Response:
    data = {"image_id": job.headers["img_id"], "lease_id": job.headers["lease_id"]}
    files = {"result": ("x.png", result, "image/png")}
    return api.client.post("/job", headers=api.auth, data=data, files=files)


class TestWorkerResults:
    @pytest.mark.parametrize(
        ("kind", "content", "status"),
        [
            *((k, v, 415) for k, v in NOT_IMAGES.items()),
            *((k, v, 413) for k, v in TOO_MANY_PIXELS.items()),
        ],
    )
    def test_bad_results_are_refused_and_not_stored(
        self, api: Api, kind: str, content: bytes, status: int
    ) -> None:
        """A malicious worker's result gets the same checks as an upload; nothing is kept."""
        assert upload(api, jpeg()).status_code == 200
        files_before = stored_files(api.settings.blob_dir)
        job = claim(api)
        assert_json_error(submit(api, job, content), status)
        listing = api.client.get("/results", headers=api.auth).json()
        assert listing["results"][job.headers["img_id"]] == []
        assert stored_files(api.settings.blob_dir) == files_before

    def test_valid_png_result_is_stored_byte_for_byte(self, api: Api) -> None:
        """A worker's valid PNG comes back exactly as sent."""
        assert upload(api, jpeg()).status_code == 200
        job = claim(api)
        result = png(50, 30, (1, 2, 3))
        assert submit(api, job, result).status_code == 200
        stored = api.client.get(f"/results/{job.headers['img_id']}/0", headers=api.auth)
        assert stored.content == result

    def test_jpeg_result_with_gps_is_converted_without_metadata(self, api: Api) -> None:
        """A result in another format is converted to PNG, and its EXIF does not survive."""
        assert upload(api, jpeg()).status_code == 200
        job = claim(api)
        assert submit(api, job, jpeg_with_gps()).status_code == 200
        stored = api.client.get(f"/results/{job.headers['img_id']}/0", headers=api.auth).content
        image = Image.open(io.BytesIO(stored))
        assert image.format == "PNG"
        assert dict(image.getexif()) == {}
        assert b"SpyCam" not in stored


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak) of a process, in kB."""
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    fields = dict(line.split(":", 1) for line in status)
    return {key: int(fields[key].split()[0]) for key in ("VmRSS", "VmHWM")}


def multipart_stream(size: int, boundary: str = "XrayBoundary") -> Iterator[bytes]:
    """A multipart body with one ``size``-byte file part, made lazily in 64 KB chunks."""
    yield (
        f"--{boundary}\r\nContent-Disposition: form-data; "
        f'name="file"; filename="huge.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
    ).encode()
    chunk = b"\xff" * 65536
    for _ in range(size // len(chunk)):
        yield chunk
    yield f"\r\n--{boundary}--\r\n".encode()


def urlencoded_stream(size: int) -> Iterator[bytes]:
    yield b"first_name="
    for _ in range(size // 65536):
        yield b"a" * 65536


@pytest.mark.e2e
class TestBodySize:
    @pytest.mark.parametrize("with_length", [False, True], ids=["chunked", "content-length"])
    def test_30_mb_upload_is_413_without_reading_it_into_memory(
        self, live: Live, with_length: bool
    ) -> None:
        """A streamed 30 MB upload is refused with JSON; the server's memory barely moves."""
        size = 30 * MB
        headers: dict[str, Any] = {
            **live.auth,
            "Content-Type": "multipart/form-data; boundary=XrayBoundary",
        }
        if with_length:
            headers["Content-Length"] = str(sum(len(c) for c in multipart_stream(size)))
        pid = live.server.process.pid  # type: ignore[union-attr]
        before = memory_kb(pid)
        with live.client() as client:
            response = client.post("/upload", headers=headers, content=multipart_stream(size))
            assert_json_error(response, 413)
            after = memory_kb(pid)
            assert after["VmHWM"] - before["VmHWM"] < size // 1024 // 3
            assert after["VmRSS"] - before["VmRSS"] < size // 1024 // 3
            assert client.get("/results", headers=live.auth).json()["results"] == {}
            assert client.get("/job", headers=live.auth).status_code == 204
        assert stored_files(live.server.data_dir / "blobs") == []

    def test_30_mb_urlencoded_form_is_413_early(self, live: Live) -> None:
        """A url-encoded form cannot carry a file, so it is refused after 256 KB."""
        pid = live.server.process.pid  # type: ignore[union-attr]
        before = memory_kb(pid)
        headers = {**live.auth, "Content-Type": "application/x-www-form-urlencoded"}
        with live.client() as client:
            response = client.post("/upload", headers=headers, content=urlencoded_stream(30 * MB))
        assert_json_error(response, 413)
        assert memory_kb(pid)["VmHWM"] - before["VmHWM"] < 10 * 1024
