"""ASGI entry points for any ASGI server: ``uvicorn --factory xray_http.asgi:create``.

Settings come from the environment (and the TOML file), as for ``teddy-xray serve``; the
password must already be set (``teddy-xray set-password``). The family portal is
``xray_http.asgi:create_portal`` (it needs ``PUBLISH_KEY``).
"""

from __future__ import annotations

from litestar import Litestar

from xray_http.app import create_app, create_portal_app
from xray_http.container import build_deps, build_portal_deps, make_container, prepare_database
from xray_http.memory import tune_malloc
from xray_http.settings import MIN_PUBLISH_KEY, load_settings


def create() -> Litestar:
    """Return the app built from the environment's settings."""
    settings = load_settings()
    if not settings.password_hash:
        raise SystemExit("no password set: run `teddy-xray set-password` first")
    container = make_container(settings)
    prepare_database(container)
    tune_malloc()
    return create_app(build_deps(container))


def create_portal() -> Litestar:
    """Return the family portal built from the environment's settings."""
    tune_malloc()
    settings = load_settings()
    if len(settings.publish_key) < MIN_PUBLISH_KEY:
        raise SystemExit("no publish key: set TEDDY_XRAY_PUBLISH_KEY (teddy-xray portal --new-key)")
    container = make_container(settings)
    prepare_database(container)
    return create_portal_app(build_portal_deps(container))
