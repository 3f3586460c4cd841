"""Helpers shared by controllers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import anyio.to_thread
from litestar import Request
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Link, OpenAPIResponse, Operation

from xray_http.deps import AppDeps
from xray_http.schemas.api import ErrorRead

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


# What each error status means, for the OpenAPI document (bodies are always ErrorRead).
ERROR_REASONS = {
    400: "A query or path parameter has the wrong type or range.",
    401: "No valid bearer token (or image link signature); sent with WWW-Authenticate: Bearer.",
    404: "The job, result, batch or carousel item does not exist.",
    409: "The request clashes with the current state (e.g. confirmed already, not ready yet).",
    413: "The request body or the image is too large.",
    415: "The file is not a JPEG, PNG or WebP image (judged by content).",
    422: "A form field or parameter is missing or invalid; the detail names it.",
    429: "Too many failed logins from this address; see the Retry-After header.",
}


def errors(*codes: int) -> dict[int, ResponseSpec]:
    """Document the JSON error answers a route can give."""
    return {
        code: ResponseSpec(ErrorRead, generate_examples=False, description=ERROR_REASONS[code])
        for code in codes
    }


def with_links(base: type[Operation], links: Mapping[str, Link]) -> type[Operation]:
    """Return ``base`` documenting ``links`` from its 200 answer (schemathesis follows them)."""

    def post_init(self: Operation) -> None:
        parent = getattr(base, "__post_init__", None)
        if parent is not None:
            parent(self)
        ok = (self.responses or {}).get("200")
        if isinstance(ok, OpenAPIResponse):
            ok.links = dict(links)

    linked = type(f"Linked{base.__name__}", (base,), {"__post_init__": post_init})
    return dataclass(linked)


async def in_thread(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run blocking work (database, files, images, bcrypt) off the event loop."""
    return await anyio.to_thread.run_sync(lambda: fn(*args, **kwargs))
