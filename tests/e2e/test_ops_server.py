"""Health, metrics and logs of ``teddy-xray serve`` as a real process over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.images import asset
from tests.postgres import ADMIN_URL, fresh_database
from tests.serverproc import Server
from xray_core.adapters.security import BcryptPasswordHasher

pytestmark = pytest.mark.e2e
PASSWORD = "Correct-Horse-Staple-42"
NAMES = {"first_name": "Wilhelmina", "last_name": "Zwetschgenbaum", "animal_name": "Knuddelbaer"}


def login(client: httpx.Client, password: str = PASSWORD) -> dict[str, str]:
    token = client.post("/token", data={"password": password}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.postgres
def test_ready_is_503_once_the_postgres_database_is_dropped(tmp_path: Path) -> None:
    """A server on PostgreSQL is ready; after its database is dropped, ready says 503 and why."""
    with fresh_database() as url:
        server = Server(tmp_path / "data", env={"TEDDY_XRAY_DATABASE_URL": url}).start()
        try:
            assert httpx.get(f"{server.url}/health/ready").json()["status"] == "ok"
            name = url.rsplit("/", 1)[1]
            with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            for path in ("/health/ready", "/health"):
                response = httpx.get(f"{server.url}{path}", timeout=10)
                assert response.status_code == 503
                body = response.json()
                assert body["status"] == "unavailable"
                assert body["reason"].startswith("database: ")
                assert body["checks"]["data_dir"] == "ok"
            assert httpx.get(f"{server.url}/health/live").status_code == 200
            assert httpx.get(f"{server.url}/metrics").status_code == 200  # scrapes still answer
        finally:
            server.stop()


def test_json_logs_and_metrics_of_real_traffic(tmp_path: Path) -> None:
    """JSON log lines carry route templates and no secret; /metrics counts exactly the uploads."""
    env = {"TEDDY_XRAY_PASSWORD_HASH": BcryptPasswordHasher().hash(PASSWORD)}
    args = ("--log-format", "json", "--log-level", "info")
    server = Server(tmp_path / "data", env=env, extra_args=args).start()
    secrets = [PASSWORD, "Wrong-Horse-Battery", *NAMES.values()]
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            assert (
                client.post("/token", data={"password": "Wrong-Horse-Battery"}).status_code == 401
            )
            auth = login(client)
            secrets.append(auth["Authorization"].split()[1])
            files = {"file": ("teddy.jpg", asset("teddy.jpg"), "image/jpeg")}
            for _ in range(2):
                data = {**NAMES, "qr_content": "sticker"}
                assert (
                    client.post("/upload", headers=auth, data=data, files=files).status_code == 200
                )
            originals = client.get("/results", headers=auth).json()["originals"]
            signed = next(iter(originals.values()))
            secrets.append(signed.split("sig=")[1].split("&")[0])
            assert client.get(signed).status_code == 200
            owner_token = "Ab3dEf6hIj9kLm2nOp5qRs8t"
            secrets.append(owner_token)
            client.get(f"/p/{owner_token}")
            families = text_string_to_metric_families(client.get("/metrics").text)
            got = {
                (s.name, tuple(sorted(s.labels.items()))): s.value
                for f in families
                for s in f.samples
            }
    finally:
        server.stop()
    assert got[("teddy_xray_uploads_total", ())] == 2
    assert got[("teddy_xray_login_failures_total", ())] == 1
    assert got[("teddy_xray_cases", (("state", "active"),))] == 2
    owner_page = (("method", "GET"), ("route", "/p/{token}"), ("status", "404"))
    assert got[("teddy_xray_http_requests_total", owner_page)] == 1

    output = server.output
    lines = [ln for ln in output.splitlines() if ln.strip() and "Teddy X-Ray serving" not in ln]
    records = [json.loads(ln) for ln in lines]  # every log line is one JSON object
    access = [r for r in records if r["logger"] == "xray_http.access"]
    routes = {(r["method"], r["route"], r["status"]) for r in access}
    assert ("POST", "/upload", 200) in routes
    assert ("POST", "/token", 401) in routes
    assert ("GET", "/p/{token}", 404) in routes
    assert all(isinstance(r["duration_ms"], float) and r["client"] == "127.0.0.1" for r in access)
    assert any(r["logger"].startswith("uvicorn") for r in records)  # uvicorn's lines are JSON too
    for secret in secrets:
        assert secret not in output, f"{secret!r} was logged"
