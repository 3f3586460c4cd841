"""What a user installs: one version everywhere, and a wheel that carries its type marks."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

from litestar.testing import TestClient

import xray_http
from tests.serverproc import CLI
from xray_http.app import create_app
from xray_http.container import build_deps, make_container
from xray_http.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_the_version_is_the_same_in_metadata_cli_and_openapi(tmp_path: Path) -> None:
    """`teddy-xray --version`, the package metadata and the OpenAPI document agree."""
    assert version("teddy-xray") == xray_http.__version__
    result = subprocess.run(
        [str(CLI), "--version"], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"teddy-xray {xray_http.__version__}"
    settings = load_settings(environ={}, data_dir=tmp_path, storage="memory", password_hash="x")
    with TestClient(create_app(build_deps(make_container(settings)))) as client:
        document = client.get("/schema/openapi.json").json()
    assert document["info"]["version"] == xray_http.__version__


def test_the_wheel_ships_py_typed_in_each_package(tmp_path: Path) -> None:
    """The built wheel has xray_core, xray_storage and xray_http, each with its py.typed."""
    build = "import sys, hatchling.build as b; print(b.build_wheel(sys.argv[1]))"
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    result = subprocess.run(
        [sys.executable, "-c", build, str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    wheel = tmp_path / result.stdout.strip().splitlines()[-1]
    assert wheel.name == f"teddy_xray-{xray_http.__version__}-py3-none-any.whl"
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in ("xray_core", "xray_storage", "xray_http"):
        assert f"{package}/py.typed" in names
    metadata = zipfile.ZipFile(wheel).read(f"teddy_xray-{xray_http.__version__}.dist-info/METADATA")
    assert b"Provides-Extra: postgres" in metadata
    assert b"Requires-Dist: psycopg[binary]>=3.2; extra == 'postgres'" in metadata
