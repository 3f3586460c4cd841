"""dev.py's pip set-up: the machine's extra package sources never reach a locked install."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import dev  # noqa: E402  (dev.py is a script at the top of the checkout)


def test_wheel_folders_extra_indexes_and_constraints_are_dropped(tmp_path: Path) -> None:
    """find-links, extra-index-url and constraint go; index-url, cert and timeout stay."""
    conf = tmp_path / "pip.conf"
    conf.write_text(
        "[global]\nindex-url = https://mirror.example/simple\n"
        "extra-index-url = file:///opt/elsewhere/simple\nfind-links = /opt/wheels\n"
        "constraint = /etc/caps.txt\ncert = /etc/ssl/certs/ca-certificates.crt\n"
    )
    environ = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "PIP_CONFIG_FILE": str(conf),
        "PIP_FIND_LINKS": "/opt/more-wheels",
        "PIP_DEFAULT_TIMEOUT": "180",
    }
    env = dev.pip_environment(sys.executable, environ)
    assert env["PIP_CONFIG_FILE"] == os.devnull
    assert env["PIP_INDEX_URL"] == "https://mirror.example/simple"
    assert env["PIP_CERT"] == "/etc/ssl/certs/ca-certificates.crt"
    assert env["PIP_DEFAULT_TIMEOUT"] == "180"
    seen = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for dropped in ("find-links", "extra-index-url", "constraint", "/opt/"):
        assert dropped not in seen, seen


def test_a_wheelhouse_means_no_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """TEDDY_XRAY_WHEELHOUSE makes pip look only in that folder."""
    monkeypatch.setenv("TEDDY_XRAY_WHEELHOUSE", "/media/usb/wheelhouse")
    assert dev.pip_sources() == ["--no-index", "--find-links", "/media/usb/wheelhouse"]


def test_the_fast_loop_selects_its_markers_on_every_core() -> None:
    """`test --fast` is the documented marker expression, one worker per core; rest passes."""
    argv, _env = dev.pytest_command(["--fast", "-x", "tests/unit"], {})
    assert argv[1:3] == ["-m", "pytest"]
    assert argv[3:] == ["-m", dev.FAST, "-n", "auto", "--dist", "worksteal", "-x", "tests/unit"]
    assert dev.FAST == "not slow and not browser and not postgres and not e2e"
    assert dev.pytest_command(["-k", "qr"], {})[0][3:] == ["-k", "qr"]


def test_the_test_run_keeps_compiled_modules() -> None:
    """Bytecode is cached for the test run even where the machine turns caching off.

    Each test process would otherwise compile and assertion-rewrite every module again.
    """
    _argv, env = dev.pytest_command(["--fast"], {"PYTHONDONTWRITEBYTECODE": "1", "HOME": "/h"})
    assert "PYTHONDONTWRITEBYTECODE" not in env
    assert env["HOME"] == "/h"
