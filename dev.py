#!/usr/bin/env python3
"""Bootstrap and run Teddy X-Ray from a fresh checkout: only Python 3.11+ needed.

    python3 dev.py serve [teddy-xray serve options]   # start the booth: server + CPU worker
    python3 dev.py test  [--fast] [pytest options]    # run the test suite (--fast: quick loop)
    python3 dev.py check                              # ruff, ruff format, mypy, import rules

Each creates ``.venv`` and installs the pinned versions of ``requirements/run.lock`` (serve)
or ``requirements/dev.lock`` (test, check) the first time, then reuses it until a lock file
or pyproject.toml changes. ``serve`` runs the built-in CPU worker beside the server, so
uploads become x-rays with nothing else running; ``serve --no-worker`` leaves that to other
workers. ``test --fast`` leaves out the slow, browser, PostgreSQL and end-to-end tests.
``TEDDY_XRAY_WHEELHOUSE=DIR`` installs from a folder of wheels with no network (see
docs/operations.md, "Offline install").
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".teddy-xray-installed"
LOCKS = ROOT / "requirements"
FAST = "not slow and not browser and not postgres and not e2e"
LINTED = ["src", "tests", "bench", "noxfile.py", "dev.py"]
# pip settings that add places to find packages or cap versions: the lock files pin every
# version and the hashes of PyPI's files, so a machine's own wheel folders, extra indexes or
# constraint files can only make an install pick a different file and fail its hash check.
FOREIGN_PIP_SETTINGS = ("find-links", "extra-index-url", "constraint", "no-index")


def _python() -> str:
    return str(BIN / "python")


def pip_environment(python: str, environ: dict[str, str] | None = None) -> dict[str, str]:
    """Return ``environ`` for pip with the machine's extra package sources taken out.

    pip reads settings from files (``/etc/pip.conf``, ``/etc/xdg/pip/pip.conf``, the user's)
    and ``PIP_*`` variables (``python -m pip config list`` shows them). The other settings
    of those files (index URL, certificates, timeouts, proxy) are kept by moving them into
    ``PIP_*`` variables; the files are then skipped (``PIP_CONFIG_FILE=/dev/null``).
    """
    env = dict(os.environ if environ is None else environ)
    listing = subprocess.run(
        [python, "-m", "pip", "config", "list"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    for line in listing.splitlines():
        match = re.fullmatch(r"([^.\s]*)\.([\w-]+)='(.*)'", line.strip())
        if match is None:
            continue
        section, key, value = match.groups()
        variable = "PIP_" + key.upper().replace("-", "_")
        if key in FOREIGN_PIP_SETTINGS or section not in {"global", "install"}:
            continue
        env.setdefault(variable, value)
    for key in FOREIGN_PIP_SETTINGS:
        env.pop("PIP_" + key.upper().replace("-", "_"), None)
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def pip_sources() -> list[str]:
    """Where pip may take packages from: PyPI (or the configured index), or the wheelhouse."""
    wheelhouse = os.environ.get("TEDDY_XRAY_WHEELHOUSE", "")
    return ["--no-index", "--find-links", wheelhouse] if wheelhouse else []


def _fingerprint(lock: str) -> str:
    digest = hashlib.sha256()
    for path in (ROOT / "pyproject.toml", LOCKS / "build.lock", LOCKS / f"{lock}.lock"):
        digest.update(path.read_bytes())
    return f"{lock} {digest.hexdigest()}"


def _install(lock: str) -> None:
    wanted = _fingerprint(lock)
    installed = STAMP.read_text() if STAMP.exists() else ""
    # A dev set-up holds everything the run set does; keep it when serving.
    if installed in {wanted, _fingerprint("dev")}:
        return
    if not (BIN / "python").exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    env = pip_environment(_python())
    pip = [_python(), "-m", "pip", "install", "--quiet", *pip_sources()]
    print(f"installing the versions pinned in requirements/{lock}.lock ...", flush=True)
    locked = ["-r", str(LOCKS / "build.lock"), "-r", str(LOCKS / f"{lock}.lock")]
    subprocess.run([*pip, "--require-hashes", *locked], check=True, cwd=ROOT, env=env)
    # The project itself, editable; its build backend came from build.lock, so no download.
    project = ["--no-deps", "--no-build-isolation", "-e", str(ROOT)]
    subprocess.run([*pip, *project], check=True, cwd=ROOT, env=env)
    STAMP.write_text(wanted)


def _check() -> int:
    steps = [
        [str(BIN / "ruff"), "check", *LINTED],
        [str(BIN / "ruff"), "format", "--check", *LINTED],
        [str(BIN / "mypy"), "--strict", "src"],
        [str(BIN / "lint-imports")],
    ]
    failed = [step for step in steps if subprocess.call(step, cwd=ROOT) != 0]
    for step in failed:
        print(f"dev.py check failed: {Path(step[0]).name} {' '.join(step[1:])}", flush=True)
    return 1 if failed else 0


def pytest_command(rest: list[str], environ: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """Return the pytest command line and environment of ``dev.py test [--fast] REST``.

    ``--fast`` runs :data:`FAST` on one test process per core (pytest-xdist; the quick loop
    is CPU-bound), each taking the next test from the others' queues when its own runs out
    (``worksteal``: a few tests take a second or more). Python may cache compiled modules
    (``__pycache__``, ignored by git) even where ``PYTHONDONTWRITEBYTECODE`` is set, as in
    many container images: without the cache every test process compiles and
    assertion-rewrites every module again, ~5 s of CPU each.
    """
    if "--fast" in rest:
        options = ["-m", FAST, "-n", "auto", "--dist", "worksteal"]
        rest = [*options, *[arg for arg in rest if arg != "--fast"]]
    env = {key: value for key, value in environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    return [_python(), "-m", "pytest", *rest], env


def main() -> int:
    """Run ``serve``, ``test`` or ``check``."""
    if sys.version_info < (3, 11):  # noqa: UP036  (dev.py may be run by an older python3)
        sys.exit("Teddy X-Ray needs Python 3.11 or newer")
    if len(sys.argv) < 2 or sys.argv[1] not in {"serve", "test", "check"}:
        print(__doc__)
        return 2
    command, rest = sys.argv[1], sys.argv[2:]
    _install("run" if command == "serve" else "dev")
    if command == "serve":
        worker = [] if "--no-worker" in rest else ["--with-worker"]
        rest = [arg for arg in rest if arg != "--no-worker"]
        return subprocess.call([str(BIN / "teddy-xray"), "serve", *worker, *rest], cwd=ROOT)
    if command == "check":
        return _check()
    code = subprocess.call([str(BIN / "lint-imports")], cwd=ROOT)
    if code != 0:
        return code
    argv, env = pytest_command(rest, dict(os.environ))
    return subprocess.call(argv, cwd=ROOT, env=env)


if __name__ == "__main__":
    raise SystemExit(main())
