"""The hospital's name reaches workers as the extension header ``hospital_name``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest

from tests.images import jpeg
from tests.integration.conftest import Api, start_api
from xray_http.client import XrayClient
from xray_http.settings import load_settings

# ASCII: the test client cannot read latin-1 headers back (a real server can).
NAMES = {"first_name": "Alice", "last_name": "Smith", "animal_name": "Brumm"}


def _upload(api: Api) -> None:
    files = {"file": ("photo.jpg", jpeg(), "image/jpeg")}
    data = {**NAMES, "qr_content": "QR-1"}
    assert api.client.post("/upload", headers=api.auth, data=data, files=files).is_success


@pytest.fixture
def default_api(tmp_path: Path, migrated_sqlite: Path) -> Iterator[Api]:
    """The app with the default hospital name."""
    yield from start_api(tmp_path / "data", migrated_sqlite)


@pytest.fixture
def cyrillic_api(tmp_path: Path, migrated_sqlite: Path) -> Iterator[Api]:
    """The app of a hospital whose name is not latin-1."""
    yield from start_api(tmp_path / "data", migrated_sqlite, hospital_name="Больница Мишки 🧸")


def test_job_carries_the_default_hospital_name(default_api: Api) -> None:
    """Without the setting, GET /job says "Teddy Bear Hospital", as plain text."""
    _upload(default_api)
    headers = default_api.client.get("/job", headers=default_api.auth).headers
    assert headers["hospital_name"] == "Teddy Bear Hospital"
    assert "hospital_name_encoding" not in headers


def test_a_unicode_hospital_name_is_encoded_without_touching_the_names(
    cyrillic_api: Api,
) -> None:
    """A non-latin-1 hospital name is percent-encoded on its own; the names stay as they are."""
    _upload(cyrillic_api)
    headers = cyrillic_api.client.get("/job", headers=cyrillic_api.auth).headers
    assert headers["hospital_name_encoding"] == "utf-8-percent"
    assert unquote(headers["hospital_name"]) == "Больница Мишки 🧸"
    assert "name_encoding" not in headers
    assert headers["first_name"] == "Alice"


def test_the_worker_client_reads_the_hospital_name(cyrillic_api: Api) -> None:
    """The worker's client hands the decoded hospital name to the generator."""
    _upload(cyrillic_api)
    response = cyrillic_api.client.get("/job", headers=cyrillic_api.auth)

    def replay(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=response.headers.raw, content=response.content)

    client = XrayClient("http://booth", lambda _: "token", transport=httpx.MockTransport(replay))
    try:
        item = client.claim()
    finally:
        client.close()
    assert item is not None
    assert item.hospital_name == "Больница Мишки 🧸"
    assert item.first_name == "Alice"


def test_the_hospital_name_is_a_setting(tmp_path: Path) -> None:
    """TEDDY_XRAY_HOSPITAL_NAME sets it; without it the default is "Teddy Bear Hospital"."""
    env = {"TEDDY_XRAY_HOSPITAL_NAME": "Kuscheltier-Klinik Zoë"}
    assert load_settings(env, data_dir=tmp_path).hospital_name == "Kuscheltier-Klinik Zoë"
    assert load_settings({}, data_dir=tmp_path).hospital_name == "Teddy Bear Hospital"
