"""psycopg is the optional ``postgres`` extra: SQLite installs run without it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.serverproc import Server

pytestmark = pytest.mark.e2e

# Loaded by every Python started with this folder on PYTHONPATH: psycopg cannot be imported,
# and each try is written down.
BLOCKER = """
import os, sys

class _NoPsycopg:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"psycopg", "psycopg_binary", "psycopg_c", "psycopg2"}:
            with open(os.environ["TEDDY_TEST_BLOCKED_LOG"], "a") as log:
                log.write(name + "\\n")
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _NoPsycopg())
"""


@pytest.fixture
def no_psycopg(tmp_path: Path) -> dict[str, str]:
    """An environment in which Python cannot import psycopg (tries go to ``blocked.log``)."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCKER)
    return {
        "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
        "TEDDY_TEST_BLOCKED_LOG": str(tmp_path / "blocked.log"),
    }


@pytest.fixture
def server(tmp_path: Path, no_psycopg: dict[str, str]) -> Iterator[Server]:
    """A server on SQLite in a Python where psycopg cannot be imported."""
    running = Server(tmp_path / "data", env=no_psycopg).start()
    yield running
    running.stop()


def test_the_blocker_blocks(no_psycopg: dict[str, str]) -> None:
    """In the test's environment ``import psycopg`` really fails (else the tests prove nothing)."""
    result = subprocess.run(
        [sys.executable, "-c", "import psycopg"],
        env={**os.environ, **no_psycopg},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "No module named 'psycopg'" in result.stderr


def test_a_sqlite_server_runs_without_psycopg(server: Server, tmp_path: Path) -> None:
    """The server starts, logs in and takes an upload on SQLite, and never tries psycopg."""
    password = server.printed_password()
    with httpx.Client(base_url=server.url, timeout=30) as client:
        token = client.post("/token", data={"password": password}).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        photo = (Path(__file__).parents[1] / "assets" / "teddy.jpg").read_bytes()
        upload = client.post(
            "/upload",
            headers=auth,
            data={
                "first_name": "Mia",
                "last_name": "K",
                "animal_name": "Bärli",
                "qr_content": "T-1",
            },
            files={"file": ("teddy.jpg", photo, "image/jpeg")},
        )
        assert upload.status_code == 200, upload.text
        assert client.get("/health").status_code == 200
    assert not (tmp_path / "blocked.log").exists(), (tmp_path / "blocked.log").read_text()


def test_a_pg_url_without_the_driver_names_the_extra(
    tmp_path: Path, no_psycopg: dict[str, str]
) -> None:
    """With a PostgreSQL URL and no psycopg, the command says to install teddy-xray[postgres]."""
    env = {
        **os.environ,
        **no_psycopg,
        "TEDDY_XRAY_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/none",
    }
    cli = Path(sys.executable).parent / "teddy-xray"
    result = subprocess.run(
        [str(cli), "gc", "--data-dir", str(tmp_path / "data")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode != 0
    assert "teddy-xray[postgres]" in result.stderr
    assert "Traceback" not in result.stderr
