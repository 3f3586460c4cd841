"""The worker's HTTP client against a real server: re-login, names, server away."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.images import asset
from tests.serverproc import Server, free_port
from xray_http.client import ServerUnavailableError, XrayClient, password_login

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One real server for this module."""
    running = Server(tmp_path_factory.mktemp("client") / "data").start()
    yield running
    running.stop()


def test_client_logs_in_again_when_its_token_is_refused(server: Server) -> None:
    """A refused token (expired, server key changed) makes the client log in again, once."""
    login = password_login(str(server.printed_password()))
    issued: list[str] = []

    def source(http: httpx.Client) -> str:
        issued.append(login(http) if issued else "not.a.token")
        return issued[-1]

    client = XrayClient(server.url, source)
    try:
        assert client.claim() is None  # 401 with the bad token, then 204 with a fresh one
    finally:
        client.close()
    assert len(issued) == 2


def test_client_reads_names_whatever_their_encoding(server: Server) -> None:
    """Names come out of GET /job as typed, percent-encoded or not, with the extensions."""
    password = str(server.printed_password())
    client = XrayClient(server.url, password_login(password))
    with httpx.Client(base_url=server.url) as http:
        token = http.post("/token", data={"password": password}).json()["access_token"]
        for first in ("Jürgen", "Анна 🧸"):
            http.post(
                "/upload",
                headers={"Authorization": f"Bearer {token}"},
                data={
                    "first_name": first,
                    "last_name": "X",
                    "animal_name": "Brumm",
                    "qr_content": "q",
                    "broken_bone": "yes",
                },
                files={"file": ("own.jpg", asset("own.jpg"))},
            )
    try:
        items = [client.claim(), client.claim(), client.claim(), client.claim()]
    finally:
        client.close()
    firsts = [i.first_name for i in items if i is not None]
    assert firsts == ["Jürgen", "Jürgen", "Анна 🧸", "Анна 🧸"]
    assert all(i is not None and i.broken_bone and i.lease_id for i in items)
    assert [i.slot for i in items if i is not None] == [0, 1, 0, 1]


def test_client_reports_an_absent_server_as_unavailable(tmp_path: Path) -> None:
    """Nothing listening is ServerUnavailableError (the worker backs off), not a crash."""
    client = XrayClient(f"http://127.0.0.1:{free_port()}", password_login("x"))
    try:
        with pytest.raises(ServerUnavailableError):
            client.claim()
    finally:
        client.close()
