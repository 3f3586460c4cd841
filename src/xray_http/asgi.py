"""ASGI entry point for running under any ASGI server: ``uvicorn --factory xray_http.asgi:create``.

Settings come from the environment (and the TOML file), as for ``teddy-xray serve``; the
password must already be set (``teddy-xray set-password``).
"""

from __future__ import annotations

from litestar import Litestar

from xray_http.app import create_app
from xray_http.container import build_deps, make_container, prepare_database
from xray_http.memory import tune_malloc
from xray_http.settings import load_settings


def create() -> Litestar:
    """Return the app built from the environment's settings."""
    settings = load_settings()
    if not settings.password_hash:
        raise SystemExit("no password set: run `teddy-xray set-password` first")
    container = make_container(settings)
    prepare_database(container)
    tune_malloc()
    return create_app(build_deps(container))
