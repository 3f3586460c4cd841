"""Data written by earlier releases opens under this code, through a real server process.

Each release adds its fixtures under tests/fixtures/ (made by
``tests/fixtures/make_release_fixture.py`` before the schema changes) and a line to
RELEASES; these tests check through the API that everything is still there and that the old
pending case can be worked and confirmed.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bcrypt
import httpx
import pytest

from tests.images import png
from tests.postgres import fresh_database
from tests.serverproc import CLI, Server, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RELEASES = ["v0.1.0", "v0.2.0"]
# The schema revision each release left its database at.
REVISION_OF = {"v0.1.0": "0001", "v0.2.0": "0004"}


def expected(release: str, kind: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / release / "expected.json").read_text())
    return data[kind]


def env_for(facts: dict[str, Any], extra: dict[str, str] | None = None) -> dict[str, str]:
    password_hash = bcrypt.hashpw(facts["password"].encode(), bcrypt.gensalt(4)).decode()
    return {"TEDDY_XRAY_PASSWORD_HASH": password_hash, **(extra or {})}


@pytest.fixture(params=RELEASES)
def sqlite_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Server, dict]]:
    """A server on a copy of a release's SQLite data dir."""
    facts = {**expected(request.param, "sqlite"), "release": request.param}
    data = tmp_path / "data"
    shutil.copytree(FIXTURES / request.param / "sqlite", data)
    server = Server(data, env=env_for(facts)).start()
    try:
        yield server, facts
    finally:
        server.stop()


@pytest.fixture(params=[pytest.param(r, marks=pytest.mark.postgres) for r in RELEASES])
def postgres_server(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Server, dict]]:
    """A server on a release's PostgreSQL dump, restored with psql, and its blob dir."""
    facts = {**expected(request.param, "postgres"), "release": request.param}
    folder = FIXTURES / request.param / "postgres"
    with fresh_database() as url:
        plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
        subprocess.run(
            ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(folder / "dump.sql"), plain],
            check=True,
            capture_output=True,
        )
        data = tmp_path / "data"
        shutil.copytree(folder / "blobs", data / "blobs")
        env = env_for(
            facts, {"TEDDY_XRAY_DATABASE_URL": url, "TEDDY_XRAY_SECRET_KEY": facts["secret_key"]}
        )
        server = Server(data, env=env).start()
        try:
            yield server, facts
        finally:
            server.stop()


def check_everything_is_there_and_works(server: Server, facts: dict[str, Any]) -> None:
    http = httpx.Client(base_url=server.url, timeout=30)
    token = http.post("/token", data={"password": facts["password"]}).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    cases = {c["job_id"]: c for c in facts["cases"]}

    results = http.get("/results", headers=auth).json()
    pending = sorted(int(i) for i in results["results"])
    assert pending == [int(i) for i in facts["pending_ids"]]
    for job_id in pending:
        meta = results["metadata"][str(job_id)]
        case = cases[job_id]
        assert (meta["first_name"], meta["last_name"], meta["animal_name"]) == (
            case["first_name"],
            case["last_name"],
            case["animal_name"],
        )
        wanted = 2 if case["state"] == "pending" else 0
        assert len(results["results"][str(job_id)]) == wanted
        for url in [*results["results"][str(job_id)], results["originals"][str(job_id)]]:
            image = http.get(url)
            assert image.status_code == 200 and image.content[:8] == b"\x89PNG\r\n\x1a\n"

    if "fleet" in facts:  # from 0.2.0: the worker registry and a counted failed attempt
        fleet = facts["fleet"]
        failures = results["failures"][str(fleet["job_id"])]
        assert failures == {"attempts": 1, "reasons": fleet["reasons"], "failed": False}
        workers = {w["name"]: w for w in http.get("/workers", headers=auth).json()["workers"]}
        assert workers[fleet["worker"]]["failures"] == 1
        assert workers[fleet["worker"]]["info"] == fleet["info"]

    carousel = http.get("/carousel").json()
    assert len(carousel) == facts["carousel_len"] == 3
    for url in carousel:
        with zipfile.ZipFile(io.BytesIO(http.get(url).content)) as archive:
            assert sorted(archive.namelist()) == ["original.png", "xray.png"]
            assert archive.read("xray.png")[:4] == b"\x89PNG"

    for case in cases.values():
        if case["state"] == "confirm" and case["qr_is_token"]:
            page = http.get(f"/p/{case['qr_content']}")
            assert page.status_code == 200
            assert case["animal_name"] in page.text
    pdf = http.get("/qr/download", headers=auth)
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"

    # The old pending cases go on: the waiting one gets its results, both are confirmed.
    waiting = [c for c in cases.values() if c["state"] == "waiting"]
    for _ in range(2 * len(waiting)):
        claim = http.get("/job", headers=auth)
        assert claim.status_code == 200
        submitted = http.post(
            "/job",
            headers=auth,
            data={"image_id": claim.headers["img_id"], "lease_id": claim.headers["lease_id"]},
            files={"result": ("x.png", png(40, 30), "image/png")},
        )
        assert submitted.status_code == 200, submitted.text
    assert http.get("/job", headers=auth).status_code == 204
    for job_id in pending:
        decided = http.get(
            "/confirm",
            headers=auth,
            params={"image_id": job_id, "choice": 0, "confirm": "confirm"},
        )
        assert decided.status_code == 200, decided.text
    assert http.get("/results", headers=auth).json()["results"] == {}
    assert len(http.get("/carousel").json()) == 3 + len(pending)
    for job_id in pending:
        case = cases[job_id]
        if case["qr_is_token"]:
            assert case["animal_name"] in http.get(f"/p/{case['qr_content']}").text
    http.close()


def test_a_sqlite_data_dir_of_an_earlier_release_opens_with_nothing_lost(
    sqlite_server: tuple[Server, dict],
) -> None:
    """Cases, results, carousel, owner pages and QR batch survive; the old case goes on."""
    server, facts = sqlite_server
    check_everything_is_there_and_works(server, facts)
    backups = list((server.data_dir / "backups").glob("xray-before-upgrade-from-*.db"))
    assert len(backups) == 1, "serve backs up the database before it upgrades it"
    assert f"upgraded the database schema from {REVISION_OF[facts['release']]}" in server.output


def test_a_postgresql_database_of_an_earlier_release_opens_with_nothing_lost(
    postgres_server: tuple[Server, dict],
) -> None:
    """The same on a PostgreSQL dump of the earlier release with its blob dir."""
    server, facts = postgres_server
    check_everything_is_there_and_works(server, facts)
    assert f"upgraded the database schema from {REVISION_OF[facts['release']]}" in server.output


def test_serve_refuses_a_database_from_a_newer_release(tmp_path: Path) -> None:
    """A data dir upgraded by a newer release stops serve with the version it needs."""
    data = tmp_path / "data"
    shutil.copytree(FIXTURES / RELEASES[-1] / "sqlite", data)
    facts = expected(RELEASES[-1], "sqlite")
    migrate = subprocess.run(
        [str(CLI), "migrate", "--data-dir", str(data)], capture_output=True, text=True, check=False
    )
    assert migrate.returncode == 0, migrate.stderr
    with sqlite3.connect(data / "xray.db") as db:
        db.execute("UPDATE alembic_version SET version_num = '0999'")
        db.execute(
            "INSERT INTO schema_history (revision, version, applied_at) "
            "VALUES ('0999', '7.0.0', '2030-01-01 00:00:00')"
        )
    run = subprocess.run(
        [str(CLI), "serve", "--port", str(free_port()), "--data-dir", str(data)],
        capture_output=True,
        text=True,
        env={**os.environ, **env_for(facts)},
        timeout=60,
        check=False,
    )
    assert run.returncode != 0
    assert "teddy-xray 7.0.0 or newer" in run.stderr
    assert "Traceback" not in run.stderr
