"""The fast loop's marker expression really leaves out what it promises to."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def collected(*args: str) -> list[str]:
    """The test ids pytest collects with ``args`` (no test is run)."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:randomly", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return [line for line in result.stdout.splitlines() if "::" in line]


@pytest.mark.slow
def test_the_fast_loop_leaves_out_every_database_server_test() -> None:
    """With -m 'not postgres' no collected test runs on PostgreSQL (by id or parameter)."""
    ids = collected("-m", "not postgres")
    assert ids, "nothing collected"
    on_postgres = [i for i in ids if "postgres" in i.lower() or "two_servers" in i]
    assert not on_postgres, on_postgres


def test_plugins_no_test_uses_are_not_loaded(pytestconfig: pytest.Config) -> None:
    """Faker's and schemathesis' pytest plugins (~1.5 s of start-up per test process) stay off.

    Schemathesis runs as its command line in tests/security; no test uses the faker fixture.
    """
    for name in ("faker", "schemathesis"):
        assert not pytestconfig.pluginmanager.has_plugin(name), name
