"""The ``teddy-xray`` commands and the ASGI factory: entry points nobody should let rot."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import bcrypt
import httpx
import pytest
from litestar.testing import TestClient

from tests.serverproc import CLI, Server

pytestmark = pytest.mark.e2e


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
        timeout=60,
    )


def test_hash_password_prints_a_bcrypt_hash_of_the_password() -> None:
    """`teddy-xray hash-password` prints a hash that bcrypt accepts for that password."""
    result = run("hash-password", "--password", "Brummbär-42")
    assert result.returncode == 0
    hashed = result.stdout.strip()
    assert bcrypt.checkpw("Brummbär-42".encode(), hashed.encode())
    assert "Brummbär-42" not in result.stdout


def test_set_password_is_what_the_server_then_accepts(tmp_path: Path) -> None:
    """`teddy-xray set-password` stores only a hash (0600 file); the server logs in with it."""
    data = tmp_path / "data"
    assert run("set-password", "--password", "new-secret", "--data-dir", str(data)).returncode == 0
    config = data / "teddy-xray.toml"
    assert config.stat().st_mode & 0o777 == 0o600
    assert "new-secret" not in config.read_text()
    server = Server(data).start()
    try:
        assert server.printed_password() is None  # none made: one was set
        assert httpx.post(f"{server.url}/token", data={"password": "new-secret"}).status_code == 200
        assert httpx.post(f"{server.url}/token", data={"password": "old"}).status_code == 401
    finally:
        server.stop()


def test_too_long_password_is_refused_by_the_tools() -> None:
    """A password bcrypt cannot hold (over 72 bytes) is refused with a message, not a traceback."""
    result = run("hash-password", "--password", "x" * 80)
    assert result.returncode != 0
    assert "72 bytes" in result.stderr and "Traceback" not in result.stderr


def test_bad_settings_are_a_message_not_a_traceback(tmp_path: Path) -> None:
    """A setting with a wrong value stops the command with one clear line."""
    result = run("gc", "--data-dir", str(tmp_path), env={"TEDDY_XRAY_RESULTS_PER_IMAGE": "many"})
    assert result.returncode != 0
    assert "results_per_image" in result.stderr and "Traceback" not in result.stderr


def test_asgi_factory_builds_the_app_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`uvicorn --factory xray_http.asgi:create` gets a working app from TEDDY_XRAY_* settings."""
    from xray_http.asgi import create

    monkeypatch.setenv("TEDDY_XRAY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TEDDY_XRAY_PASSWORD_HASH", bcrypt.hashpw(b"pw", bcrypt.gensalt(4)).decode())
    monkeypatch.setenv("TEDDY_XRAY_ANIMAL_TYPES", "bear,owl")
    with TestClient(create()) as client:
        assert client.get("/animal_types").json() == {"types": ["bear", "owl", "other"]}
        assert client.post("/token", data={"password": "pw"}).status_code == 200
    assert (tmp_path / "data" / "xray.db").exists()
