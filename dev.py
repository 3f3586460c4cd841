#!/usr/bin/env python3
"""Bootstrap and run Teddy X-Ray from a fresh checkout: only Python 3.11+ needed.

    python3 dev.py serve [teddy-xray serve options]   # start the booth: server + CPU worker
    python3 dev.py test  [pytest options]             # run the whole test suite

Both create ``.venv`` and install the project (and, for ``test``, its test tools) the first
time, then reuse it. ``serve`` runs the built-in CPU worker beside the server, so uploads
become x-rays with nothing else running; ``serve --no-worker`` leaves that to other workers.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".teddy-xray-installed"


def _python() -> str:
    return str(BIN / "python")


def _install(dev: bool) -> None:
    wanted = "dev" if dev else "run"
    pyproject = (ROOT / "pyproject.toml").stat().st_mtime
    if (
        STAMP.exists()
        and STAMP.read_text() in {wanted, "dev"}
        and STAMP.stat().st_mtime >= pyproject
    ):
        return
    if not (BIN / "python").exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    pip = [_python(), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip>=25.1"], check=True)
    print("installing teddy-xray and its dependencies ...", flush=True)
    extra = ["--group", "dev"] if dev else []
    subprocess.run([*pip, "-e", str(ROOT), *extra], check=True, cwd=ROOT)
    STAMP.write_text(wanted)


def main() -> int:
    """Run ``serve`` or ``test``."""
    if sys.version_info < (3, 11):  # noqa: UP036  (dev.py may be run by an older python3)
        sys.exit("Teddy X-Ray needs Python 3.11 or newer")
    if len(sys.argv) < 2 or sys.argv[1] not in {"serve", "test"}:
        print(__doc__)
        return 2
    command, rest = sys.argv[1], sys.argv[2:]
    _install(dev=command == "test")
    if command == "serve":
        worker = [] if "--no-worker" in rest else ["--with-worker"]
        rest = [arg for arg in rest if arg != "--no-worker"]
        return subprocess.call([str(BIN / "teddy-xray"), "serve", *worker, *rest], cwd=ROOT)
    code = subprocess.call([str(BIN / "lint-imports")], cwd=ROOT)
    if code != 0:
        return code
    return subprocess.call([_python(), "-m", "pytest", *rest], cwd=ROOT)


if __name__ == "__main__":
    raise SystemExit(main())
