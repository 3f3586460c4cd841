"""Sessions: tests, lint, typecheck, imports, bench."""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "typecheck", "imports", "tests"]


def _install(session: nox.Session, *groups: str) -> None:
    session.run_install("python", "-m", "pip", "install", "--quiet", "--upgrade", "pip>=25.1")
    args = [arg for group in groups for arg in ("--group", group)]
    session.install("-e", ".", *args)


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """Run the whole test suite."""
    _install(session, "test")
    session.run("pytest", *session.posargs)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    _install(session, "lint")
    session.run("ruff", "check", "src", "tests", "bench", "noxfile.py", "dev.py")
    session.run("ruff", "format", "--check", "src", "tests", "bench", "noxfile.py", "dev.py")


@nox.session(python="3.11")
def typecheck(session: nox.Session) -> None:
    """mypy --strict on src/."""
    _install(session, "lint")
    session.run("mypy", "--strict", "src")


@nox.session(python="3.11")
def imports(session: nox.Session) -> None:
    """The import contracts (the dependency rule of the hexagon)."""
    _install(session, "lint")
    session.run("lint-imports")


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    """Benchmarks: API throughput and latency, memory, QR batches, the generator."""
    _install(session, "test")
    session.run("python", "bench/run.py", *session.posargs)


@nox.session(python="3.11")
def screenshots(session: nox.Session) -> None:
    """Screenshots of every booth page (desktop, phone, German) into docs/img."""
    _install(session, "test")
    session.run("python", "bench/screenshots.py", *session.posargs)
