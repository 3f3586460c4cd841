"""Access log and request metrics for every request, and the log formats of ``serve``.

The access log names the route *template* (``/p/{token}``), never the raw path or query:
those carry owner tokens and URL signatures. Nothing else of a request is logged.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from xray_http.prometheus import PrometheusMetrics

access_log = logging.getLogger("xray_http.access")
UNMATCHED = "<unmatched>"  # a path no route matches (a 404 or a probe of the server)


def route_of(scope: Scope | dict[str, Any]) -> str:
    """Return the route template a request matched, or ``<unmatched>``."""
    return str(scope.get("path_template") or UNMATCHED)


class Observed:
    """ASGI wrapper around the app's handler: one access-log line and metrics per request."""

    def __init__(self, app: ASGIApp, metrics: Callable[[], PrometheusMetrics | None]) -> None:
        self._app = app
        self._metrics = metrics  # asked per request: the app's services may be rebound

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, noting its status and how long the answer took."""
        raw = cast("dict[str, Any]", scope)
        if raw["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # if the app fails before answering, the server answers 500

        async def noting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self._app(scope, receive, noting)
        finally:
            seconds = time.perf_counter() - started
            method, route = str(raw["method"]), route_of(raw)
            client = raw.get("client")
            address = client[0] if client else "-"
            metrics = self._metrics()
            if metrics is not None:
                metrics.request(method, route, status, seconds)
            access_log.info(
                "%s %s %d %.1fms %s",
                method,
                route,
                status,
                seconds * 1000,
                address,
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 1),
                    "client": address,
                },
            )


ACCESS_FIELDS = ("method", "route", "status", "duration_ms", "client")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and access-log fields)."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as one line of JSON."""
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({k: getattr(record, k) for k in ACCESS_FIELDS if hasattr(record, k)})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure_logging(fmt: str = "text", level: str = "info") -> None:
    """Send every log record to stderr as text lines or JSON lines, at ``level`` and above."""
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Litestar gives its logger a handler of its own that bypasses ours (and the format).
    litestar = logging.getLogger("litestar")
    for old in list(litestar.handlers):
        litestar.removeHandler(old)
    litestar.propagate = True
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Our own lines say what a migration did; alembic's would repeat it on every start.
    logging.getLogger("alembic").setLevel(logging.WARNING)
