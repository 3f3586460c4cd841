"""Nox sessions: tests, lint, typecheck, imports, bench, screen_soak, lock, screenshots, ..."""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

import nox

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dev import pip_environment, pip_sources  # dev.py sits beside this file

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "typecheck", "imports", "tests"]

ROOT = Path(__file__).resolve().parent
LOCKS = ROOT / "requirements"
# Every lock file resolves for all platforms, with the hashes of every file of each pin.
COMPILE = [
    "uv",
    "pip",
    "compile",
    "--quiet",
    "--universal",
    "--python-version",
    "3.11",
    "--generate-hashes",
    "--annotation-style",
    "line",
    "--custom-compile-command",
    "nox -s lock",
    "--no-strip-extras",
    # The lock names PyPI's files; a machine's extra indexes or wheel folders must not leak in.
    "--index-url",
    "https://pypi.org/simple",
    "--no-config",
]


def _pip_env() -> dict[str, str | None]:
    """dev.py's pip environment; nox adds the outer one, so dropped variables are unset (None)."""
    env: dict[str, str | None] = dict(pip_environment(sys.executable))
    env.update({name: None for name in os.environ if name.startswith("PIP_") and name not in env})
    return env


def _install(session: nox.Session, lock: str = "dev") -> None:
    """Install the pinned set ``requirements/{lock}.lock``, then the project itself."""
    env = _pip_env()
    locked = ["-r", "requirements/build.lock", "-r", f"requirements/{lock}.lock"]
    session.install("--require-hashes", *pip_sources(), *locked, env=env)
    session.install("--no-deps", "--no-build-isolation", *pip_sources(), "-e", ".", env=env)


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """Run the whole test suite."""
    _install(session)
    session.run("pytest", *session.posargs)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    _install(session)
    session.run("ruff", "check", "src", "tests", "bench", "noxfile.py", "dev.py")
    session.run("ruff", "format", "--check", "src", "tests", "bench", "noxfile.py", "dev.py")


@nox.session(python="3.11")
def typecheck(session: nox.Session) -> None:
    """mypy --strict on src/."""
    _install(session)
    session.run("mypy", "--strict", "src")


@nox.session(python="3.11")
def imports(session: nox.Session) -> None:
    """The import contracts (the dependency rule of the hexagon)."""
    _install(session)
    session.run("lint-imports")


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    """Benchmarks: API throughput and latency, memory, QR batches, the generator."""
    _install(session)
    session.run("python", "bench/run.py", *session.posargs)


@nox.session(python="3.11")
def screen_soak(session: nox.Session) -> None:
    """The big screen for an hour in Chromium: heap, DOM nodes, object URLs (-- --minutes N)."""
    _install(session)
    session.run("python", "-m", "bench.screen_soak", *session.posargs)


@nox.session(python="3.11")
def contact_sheet(session: nox.Session) -> None:
    """Draw docs/img/contact-sheet*.png: every asset photo with all its x-ray options."""
    _install(session)
    session.run("python", "bench/contact_sheet.py", *session.posargs)


@nox.session(python="3.11")
def screenshots(session: nox.Session) -> None:
    """Screenshots of every booth page (desktop, phone, German) and the owner page into docs/img."""
    _install(session)
    session.run("python", "bench/screenshots.py", *session.posargs)
    session.run("python", "-m", "tests.screenshots", str(ROOT / "docs" / "img"))


@nox.session(python="3.11", venv_backend="venv")
def lock(session: nox.Session) -> None:
    """Re-lock requirements/*.lock from pyproject.toml (run after changing a dependency).

    ``dev.lock`` is resolved first (everything: the project, the postgres extra, the dev
    group); the smaller sets are resolved under it as a constraint, so a package has the
    same version in every lock file. ``--upgrade`` takes the newest versions allowed.
    """
    session.install("uv>=0.9", env=_pip_env())
    upgrade = ["--upgrade"] if "--upgrade" in session.posargs else []
    out = "requirements/"
    session.run(
        *COMPILE, *upgrade, "pyproject.toml", "--extra", "postgres", "--group", "dev",
        "-o", out + "dev.lock",
    )  # fmt: skip
    dev = ["-c", out + "dev.lock"]
    session.run(*COMPILE, *dev, "pyproject.toml", "-o", out + "run.lock")
    session.run(
        *COMPILE, *dev, "pyproject.toml", "--extra", "postgres", "-o", out + "postgres.lock"
    )
    build = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    # hatchling asks for editables when pip installs the project in editable mode (-e).
    build = [*build, "editables"]
    build_in = Path(session.create_tmp()) / "build.in"
    build_in.write_text("\n".join(build) + "\n")
    session.run(*COMPILE, *dev, str(build_in), "-o", out + "build.lock")
    _relative_header(ROOT / "requirements" / "build.lock", str(build_in))


def _relative_header(lock_file: Path, temp_input: str) -> None:
    """uv names the temporary input file in its annotations: name the build system instead."""
    text = lock_file.read_text()
    lock_file.write_text(text.replace(temp_input, "pyproject.toml [build-system]"))
