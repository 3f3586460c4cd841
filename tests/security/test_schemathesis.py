"""Schemathesis against the app's own OpenAPI schema, on a real server process.

Every phase runs (coverage, fuzzing, stateful; examples when the schema has any) with the
settings in tests/security/schemathesis.toml and the hooks in tests/security/st_hooks.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.security.conftest import Live

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("schemathesis.toml")
CLI = Path(sys.executable).parent / "schemathesis"


@pytest.mark.timeout(600)
def test_schemathesis_finds_no_server_error_and_no_schema_violation(live: Live) -> None:
    """All phases pass: no 5xx, no undocumented status or content type, no bad response body."""
    assert CLI.exists(), "schemathesis is not installed: pip install --group test"
    result = subprocess.run(
        [
            str(CLI),
            "--config-file",
            str(CONFIG),
            "run",
            f"{live.url}/schema/openapi.json",
            "--header",
            f"Authorization: {live.auth['Authorization']}",
            "--no-color",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        # 23 operations with the booth pages' extensions: ~350 s on 2 loaded shared cores.
        timeout=480,
        check=False,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report[-30_000:]
    for phase in ("Coverage", "Fuzzing", "Stateful"):
        assert re.search(rf"✅\s+{phase}", report), f"{phase} did not pass:\n{report}"
    links = re.search(r"API Links:\s+(\d+) covered", report)
    assert links and int(links.group(1)) >= 3, f"the stateful phase barely moved:\n{report}"
    assert "Traceback" not in live.server.output
