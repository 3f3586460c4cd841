"""``GET /metrics``: Prometheus text format (public unless ``metrics_token`` is set)."""

from __future__ import annotations

import hmac
from typing import Any

from litestar import Controller, Response, get
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler

from xray_core.auth.errors import InvalidTokenError
from xray_http.auth import bearer, deps_of
from xray_http.controllers._base import errors, in_thread
from xray_http.deps import AppDeps
from xray_http.prometheus import CONTENT_TYPE


def requires_metrics_token(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Let a scrape through if no metrics token is set, or with that token as bearer."""
    wanted = deps_of(connection).metrics_token
    if not wanted:
        return
    given = bearer(connection) or ""
    if not hmac.compare_digest(given.encode(), wanted.encode()):
        raise InvalidTokenError("/metrics needs the metrics token as bearer token")


class MetricsController(Controller):
    """Metrics of this server process for Prometheus."""

    @get(
        "/metrics",
        summary="Metrics of this process in the Prometheus text format",
        guards=[requires_metrics_token],
        responses=errors(401),
        media_type=CONTENT_TYPE,
    )
    async def metrics(self, deps: NamedDependency[AppDeps]) -> Response[bytes]:
        """Return the counters, histograms and stored counts."""
        body = b"" if deps.metrics is None else await in_thread(deps.metrics.exposition)
        return Response(body, media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})
