"""An app on SQLite in a temp dir, driven through Litestar's test client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from dependency_injector import providers
from litestar.testing import TestClient

from tests.conftest import wipe
from tests.fakes.fakes import FakePasswordHasher
from xray_http.app import create_app
from xray_http.container import Container, build_deps, make_container
from xray_http.settings import Settings, load_settings

PASSWORD = "booth-secret"


@dataclass
class Api:
    """A running app: its client, a valid auth header and the container behind it."""

    client: TestClient  # type: ignore[type-arg]
    auth: dict[str, str]
    container: Container
    settings: Settings


def start_api(data_dir: Path, **overrides: object) -> Iterator[Api]:
    """Build the app on ``data_dir`` (a fast fake hasher instead of bcrypt) and log in."""
    settings = load_settings(
        environ={},
        data_dir=data_dir,
        password_hash=f"fake${PASSWORD}",
        **overrides,
    )
    container = make_container(settings)
    container.security.hasher.override(providers.Object(FakePasswordHasher()))
    app = create_app(build_deps(container))
    with TestClient(app, base_url="http://testserver.local") as client:
        token = client.post("/token", data={"password": PASSWORD}).json()["access_token"]
        yield Api(client, {"Authorization": f"Bearer {token}"}, container, settings)
    container.storage.engine().dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    """The app on a fresh data dir, with SQLite in it or with an emptied PostgreSQL."""
    if request.param == "sqlite":
        yield from start_api(tmp_path / "data")
        return
    url = request.getfixturevalue("postgres_url")
    for api in start_api(tmp_path / "data", database_url=url):
        wipe(api.container.storage.engine())
        yield api
