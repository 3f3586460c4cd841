"""One built app, bound to other services: it serves only those (how the tests share apps)."""

from __future__ import annotations

from pathlib import Path

import pytest
from dependency_injector import providers
from litestar import Litestar
from litestar.testing import TestClient

from tests.fakes.fakes import FakePasswordHasher
from tests.images import png
from tests.integration.conftest import start_api
from xray_http.app import bind, create_app
from xray_http.container import build_deps, make_container
from xray_http.deps import AppDeps
from xray_http.settings import load_settings

NAMES = {"first_name": "Ada", "last_name": "Lovelace", "animal_name": "Brumm", "qr_content": "Q"}


def _deps(data_dir: Path, password: str, **overrides: object) -> AppDeps:
    settings = load_settings(
        environ={}, data_dir=data_dir, password_hash=f"fake${password}", **overrides
    )
    container = make_container(settings)
    container.security.hasher.override(providers.Object(FakePasswordHasher()))
    return build_deps(container)


def _login(client: TestClient[Litestar], password: str) -> dict[str, str]:
    response = client.post("/token", data={"password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _uploads_counted(client: TestClient[Litestar]) -> float:
    lines = client.get("/metrics").text.splitlines()
    return sum(
        float(line.split()[-1]) for line in lines if line.startswith("teddy_xray_uploads_total ")
    )


def test_a_rebound_app_serves_only_the_new_services(tmp_path: Path) -> None:
    """Password, cases, blobs, metrics and the login limit all come from the new services."""
    app = create_app(_deps(tmp_path / "first", "alpha"))
    with TestClient(app) as client:
        auth = _login(client, "alpha")
        upload = client.post("/upload", headers=auth, data=NAMES, files={"file": ("p.png", png())})
        assert upload.status_code == 200, upload.text
        assert _uploads_counted(client) == 1
        refused = [client.post("/token", data={"password": "x"}).status_code for _ in range(11)]
        assert refused[-1] == 429
    bind(app, _deps(tmp_path / "second", "beta"))
    with TestClient(app) as client:
        assert client.post("/token", data={"password": "alpha"}).status_code == 401
        auth = _login(client, "beta")  # the first binding's block is gone with its limiter
        assert client.get("/results", headers=auth).json()["results"] == {}
        assert client.get("/job", headers=auth).status_code == 204
        assert _uploads_counted(client) == 0
        upload = client.post("/upload", headers=auth, data=NAMES, files={"file": ("p.png", png())})
        assert upload.status_code == 200, upload.text  # the start migrated the new database
    assert (tmp_path / "second" / "xray.db").exists()


def test_binding_refuses_another_upload_limit(tmp_path: Path) -> None:
    """The upload limit is built into the app: binding services with another one is refused."""
    app = create_app(_deps(tmp_path / "first", "alpha"))
    with pytest.raises(ValueError, match="max_upload_bytes"):
        bind(app, _deps(tmp_path / "second", "beta", max_upload_mb=1))


def test_two_apis_at_once_in_one_test_keep_their_own_data(
    tmp_path: Path, migrated_sqlite: Path
) -> None:
    """start_api never rebinds an app that is still serving an earlier start_api."""
    first = start_api(tmp_path / "first", migrated_sqlite)
    one = next(first)
    second = start_api(tmp_path / "second", migrated_sqlite, hospital_name="Second")
    two = next(second)
    upload = one.client.post(
        "/upload", headers=one.auth, data=NAMES, files={"file": ("p.png", png())}
    )
    assert upload.status_code == 200, upload.text
    assert two.client.get("/job", headers=two.auth).status_code == 204
    assert one.client.get("/job", headers=one.auth).status_code == 200
    for started in (second, first):
        started.close()
