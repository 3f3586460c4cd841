"""An app on SQLite in a temp dir, driven through Litestar's test client."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from dependency_injector import providers
from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import wipe
from tests.fakes.fakes import FakePasswordHasher
from xray_http.app import bind, create_app
from xray_http.container import Container, build_deps, make_container
from xray_http.deps import AppDeps
from xray_http.settings import Settings, load_settings

PASSWORD = "booth-secret"
# Built apps of this test process that no start_api serves now, by upload limit (the one
# value bind() cannot change).
_IDLE_APPS: dict[int, list[Litestar]] = {}


@dataclass
class Api:
    """A running app: its client, a valid auth header and the container behind it."""

    client: TestClient  # type: ignore[type-arg]
    auth: dict[str, str]
    container: Container
    settings: Settings


@contextmanager
def app_for(deps: AppDeps) -> Iterator[Litestar]:
    """Give an app serving ``deps``: an idle one of this test process, bound again, or a new one.

    Each test still gets its own container, services, database, blobs, metrics and login
    limiter; only the Litestar routing (~0.1 s of CPU to build) is shared, and never by two
    start_api at once.
    """
    idle = _IDLE_APPS.setdefault(deps.max_upload_bytes, [])
    if idle:
        app = idle.pop()
        bind(app, deps)
    else:
        app = create_app(deps)
    try:
        yield app
    finally:
        idle.append(app)


def start_api(data_dir: Path, template: Path | None = None, **overrides: object) -> Iterator[Api]:
    """Build the app on ``data_dir`` (a fast fake hasher instead of bcrypt) and log in.

    ``template``: a migrated SQLite file (the ``migrated_sqlite`` fixture), copied in when
    the data dir has no database yet, so the start finds the schema current.
    """
    settings = load_settings(
        environ={},
        data_dir=data_dir,
        password_hash=f"fake${PASSWORD}",
        **overrides,
    )
    database = data_dir / "xray.db"
    fresh = settings.db_url == f"sqlite:///{database}" and not database.exists()
    if template is not None and fresh:
        data_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, database)
    container = make_container(settings)
    container.security.hasher.override(providers.Object(FakePasswordHasher()))
    with (
        app_for(build_deps(container)) as app,
        TestClient(app, base_url="http://testserver.local") as client,
    ):
        token = client.post("/token", data={"password": PASSWORD}).json()["access_token"]
        yield Api(client, {"Authorization": f"Bearer {token}"}, container, settings)
    container.storage.engine().dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    """The app on a fresh data dir, with SQLite in it or with an emptied PostgreSQL."""
    if request.param == "sqlite":
        yield from start_api(tmp_path / "data", request.getfixturevalue("migrated_sqlite"))
        return
    url = request.getfixturevalue("postgres_url")
    for api in start_api(tmp_path / "data", database_url=url):
        wipe(api.container.storage.engine())
        yield api
