"""One table from core error categories to HTTP status codes, and one handler."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from xray_core.errors import (
    AuthenticationError,
    BusyError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    TooLargeError,
    TooManyRequestsError,
    UnavailableError,
    UnsupportedMediaError,
    XrayError,
)
from xray_http.observability import route_of

log = logging.getLogger("xray_http")
# Error answers skip the app's response headers, so they carry this one themselves.
NOSNIFF = {"X-Content-Type-Options": "nosniff"}

# Most specific first: the first matching category wins.
STATUS: tuple[tuple[type[XrayError], int], ...] = (
    (BusyError, 503),
    (UnsupportedMediaError, 415),
    (TooLargeError, 413),
    (InvalidInputError, 422),
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    (UnavailableError, 409),
    (ConflictError, 409),
    (TooManyRequestsError, 429),
)


def status_of(exc: XrayError) -> int:
    """Return the status code for a core error."""
    return next((code for kind, code in STATUS if isinstance(exc, kind)), 400)


def xray_error_handler(_: Request[Any, Any, Any], exc: XrayError) -> Response[object]:
    """Answer a core error with its status and ``{"status_code", "detail"}``."""
    code = status_of(exc)
    headers = dict(NOSNIFF)
    if isinstance(exc, AuthenticationError):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, TooManyRequestsError | BusyError):
        headers["Retry-After"] = str(exc.retry_after)
    body: dict[str, object] = {"status_code": code, "detail": exc.message}
    field = getattr(exc, "field", None)
    if isinstance(field, str):
        body["field"] = field  # extension: the form field the detail is about
    return Response(body, status_code=code, headers=headers)


def unexpected_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[object]:
    """Log an unexpected error and answer JSON, never a traceback."""
    if isinstance(exc, HTTPException):
        body: dict[str, object] = {"status_code": exc.status_code, "detail": exc.detail}
        if exc.extra:
            body["extra"] = exc.extra
        return Response(
            body, status_code=exc.status_code, headers={**(exc.headers or {}), **NOSNIFF}
        )
    # The route template, not the path: paths carry owner tokens and signatures.
    log.exception("unexpected error on %s %s", request.method, route_of(request.scope))
    return Response(
        {"status_code": 500, "detail": "internal server error"},
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
        headers=NOSNIFF,
    )
