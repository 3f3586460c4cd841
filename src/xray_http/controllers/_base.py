"""Helpers shared by controllers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import anyio.to_thread
from litestar import Request
from litestar.di import NamedDependency

from xray_http.deps import AppDeps

P = ParamSpec("P")
T = TypeVar("T")

NO_CACHE = {
    "Cache-Control": "no-cache, no-store, must-revalidate",
    "Pragma": "no-cache",
    "Expires": "0",
}


def base_url(request: Request[Any, Any, Any], deps: NamedDependency[AppDeps]) -> str:
    """Return the URL clients reach us at: the ``public_url`` setting, else the request's own."""
    return (deps.public_url or str(request.base_url)).rstrip("/")


async def in_thread(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run blocking work (database, files, images, bcrypt) off the event loop."""
    return await anyio.to_thread.run_sync(lambda: fn(*args, **kwargs))
