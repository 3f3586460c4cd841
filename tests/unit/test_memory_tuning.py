"""The allocator setting of ``teddy-xray serve`` (its effect is a benchmark figure)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from xray_http.memory import tune_malloc

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")


def test_the_threshold_is_set_on_glibc() -> None:
    """In a fresh interpreter (the setting is per process), glibc accepts it."""
    code = "from xray_http.memory import tune_malloc; print(tune_malloc())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_an_operators_own_setting_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """MALLOC_MMAP_THRESHOLD_ in the environment wins: nothing is changed."""
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "1048576")
    assert tune_malloc() is False
