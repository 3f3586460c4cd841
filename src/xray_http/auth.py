"""Guards: the bearer token, and signed URLs for images."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from xray_core.auth.errors import InvalidTokenError
from xray_http.deps import AppDeps

SCHEME = "BearerToken"
BEARER: list[dict[str, list[str]]] = [{SCHEME: []}]  # the OpenAPI security requirement


def deps_of(connection: ASGIConnection[Any, Any, Any, Any]) -> AppDeps:
    """Return the services the app was built with."""
    deps: AppDeps = connection.app.state["deps"]
    return deps


def bearer(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """Return the bearer token of a request, if it has one."""
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def requires_token(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Let a request through only with a valid bearer token."""
    token = bearer(connection)
    if token is None:
        raise InvalidTokenError("this endpoint needs a bearer token: POST /token first")
    deps_of(connection).auth.check(token)


def requires_token_or_signature(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Let a request through with a valid bearer token or a valid URL signature."""
    expires, sig = connection.query_params.get("expires"), connection.query_params.get("sig")
    if bearer(connection) is None and expires and sig:
        well_formed = expires.isascii() and expires.isdigit() and len(expires) < 12
        signer = deps_of(connection).signer
        if well_formed and signer.valid(connection.url.path, int(expires), sig):
            return
        raise InvalidTokenError("invalid or expired image link: reload /results")
    requires_token(connection, handler)
