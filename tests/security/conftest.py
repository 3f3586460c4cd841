"""Fixtures of the security suite: the app on both databases, and a real server process."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import PASSWORD, Api, api  # noqa: F401  (the fixture)
from tests.serverproc import Server

NAMES = {"first_name": "Alice", "last_name": "Smith", "animal_name": "Buddy", "qr_content": "Q-1"}


@dataclass
class Live:
    """A ``teddy-xray serve`` process, its password and a valid auth header."""

    server: Server
    password: str
    auth: dict[str, str]

    @property
    def url(self) -> str:
        """The server's base URL."""
        return self.server.url

    def client(self) -> httpx.Client:
        """A client of this server."""
        return httpx.Client(base_url=self.url, timeout=60)


def start_live(data_dir: Path, env: dict[str, str] | None = None) -> Iterator[Live]:
    """Start a server on a fresh data dir (it makes and prints a password) and log in."""
    server = Server(data_dir, env=env).start()
    try:
        password = str(server.printed_password())
        with httpx.Client(base_url=server.url) as client:
            token = client.post("/token", data={"password": password}).json()["access_token"]
        yield Live(server, password, {"Authorization": f"Bearer {token}"})
    finally:
        server.stop()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """One real server for the tests of a module."""
    yield from start_live(tmp_path_factory.mktemp("live") / "data")


def stored_files(blob_dir: Path) -> list[Path]:
    """Every file under the blob directory."""
    return [p for p in blob_dir.rglob("*") if p.is_file()] if blob_dir.exists() else []


def assert_nothing_stored(app: Api) -> None:
    """No pending job, nothing in the queue and no blob on disk."""
    assert app.client.get("/results", headers=app.auth).json()["results"] == {}
    assert app.client.get("/job", headers=app.auth).status_code == 204
    assert stored_files(app.settings.blob_dir) == []


def assert_json_error(response: httpx.Response, status: int | None = None) -> None:
    """A 4xx answered with the JSON error body ``{"status_code", "detail"}``."""
    assert 400 <= response.status_code < 500, response.text
    if status is not None:
        assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status_code"] == response.status_code
    assert isinstance(body["detail"], str) and body["detail"]
