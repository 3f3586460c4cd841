"""``POST /qr/decode``: QR codes read from webcam frames on the server."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.frames import OWNER_URL, photo_frame, qr_frame
from tests.integration.conftest import Api, start_api


@pytest.fixture
def sqlite_api(tmp_path, migrated_sqlite):
    """The app on SQLite in a temp dir."""
    yield from start_api(tmp_path / "data", migrated_sqlite)


def decode(api: Api, frame: bytes, name: str = "frame.jpg", **headers: str):
    files = {"frame": (name, frame, "image/jpeg")}
    return api.client.post("/qr/decode", headers={**api.auth, **headers}, files=files)


def test_frame_with_owner_qr_decodes_to_its_url(sqlite_api: Api) -> None:
    """A 640x480 webcam JPEG of a flyer's QR code held before a toy gives the owner URL."""
    answer = decode(sqlite_api, qr_frame())
    assert answer.status_code == 200
    assert answer.json() == {"text": OWNER_URL}


def test_png_frame_decodes_too(sqlite_api: Api) -> None:
    """A PNG frame (what canvas.toBlob gives by default) decodes as well."""
    answer = decode(sqlite_api, qr_frame(fmt="PNG"), "frame.png")
    assert answer.json() == {"text": OWNER_URL}


def test_photo_without_code_gives_null(sqlite_api: Api) -> None:
    """A frame that shows no QR code answers 200 with text null."""
    answer = decode(sqlite_api, photo_frame())
    assert answer.status_code == 200
    assert answer.json() == {"text": None}


@pytest.mark.parametrize("garbage", [b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\0" * 40])
def test_garbage_bytes_are_415_json(sqlite_api: Api, garbage: bytes) -> None:
    """Bytes that are no image get a 4xx JSON answer that says so."""
    answer = decode(sqlite_api, garbage)
    assert answer.status_code == 415
    assert "frame" in answer.json()["detail"]


def test_missing_frame_is_422_naming_the_field(sqlite_api: Api) -> None:
    """A request without the frame field is 422 and names it."""
    answer = sqlite_api.client.post("/qr/decode", headers=sqlite_api.auth, data={"x": "1"})
    assert answer.status_code == 422
    assert "frame" in answer.json()["detail"]


def test_frame_over_two_megabytes_is_413(sqlite_api: Api) -> None:
    """A frame over 2 MB is refused with 413 before it is decoded."""
    answer = decode(sqlite_api, qr_frame() + b"\0" * (2 * 1024 * 1024))
    assert answer.status_code == 413
    assert answer.headers["content-type"].startswith("application/json")


def test_frame_over_four_megapixels_is_413(sqlite_api: Api) -> None:
    """A small file that declares more than 4 megapixels is refused with 413."""
    out = io.BytesIO()
    Image.new("L", (2500, 2000), 255).save(out, "PNG")
    answer = decode(sqlite_api, out.getvalue(), "big.png")
    assert answer.status_code == 413
    assert "4,000,000" in answer.json()["detail"]


def test_decode_needs_the_token(sqlite_api: Api) -> None:
    """Without a bearer token the route is 401."""
    files = {"frame": ("frame.jpg", qr_frame(), "image/jpeg")}
    assert sqlite_api.client.post("/qr/decode", files=files).status_code == 401
