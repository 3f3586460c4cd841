"""The dependency rule of the hexagon, checked in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_IN_CORE = {
    "litestar",
    "sqlmodel",
    "sqlalchemy",
    "dependency_injector",
    "msgspec",
    "prometheus_client",
    "xray_http",
    "xray_storage",
}
ADAPTER_ONLY = {"bcrypt", "jwt", "qrcode", "reportlab", "PIL", "numpy", "scipy", "skimage"}


def loaded_after(statement: str) -> set[str]:
    code = f"import sys, json\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout
    return {name.split(".")[0] for name in json.loads(out)}


def test_core_imports_no_framework_orm_or_di_library() -> None:
    """Importing the whole public core loads no web framework, ORM, DI library or adapter package."""
    assert loaded_after("import xray_core") & FORBIDDEN_IN_CORE == set()


def test_core_services_load_no_image_crypto_or_pdf_library() -> None:
    """Outside xray_core.adapters nothing pulls in bcrypt, jwt, qrcode, reportlab, PIL or numpy."""
    modules = (
        "xray_core.jobs.service",
        "xray_core.qr.service",
        "xray_core.auth.service",
        "xray_core.owners.service",
        "xray_core.carousel.service",
        "xray_core.generation.ports",
        "xray_core.health",
        "xray_core.metrics",
    )
    loaded = loaded_after("\n".join(f"import {m}" for m in modules))
    assert loaded & (ADAPTER_ONLY | FORBIDDEN_IN_CORE) == set()


def test_import_contracts_hold() -> None:
    """The import-linter contracts in pyproject.toml are all kept."""
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint)], capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
