"""``POST /token``."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency

from xray_core.auth.errors import WrongPasswordError
from xray_core.auth.limiter import FailureLimiter
from xray_core.auth.service import AuthService
from xray_http.auth import bearer
from xray_http.controllers._base import errors, in_thread
from xray_http.forms import FormField, form_operation, read_form, text
from xray_http.schemas.api import TokenRead


def client_address(request: Request[Any, Any, Any]) -> str:
    """Return the address the request came from (a reverse proxy's own, behind one)."""
    return request.client.host if request.client else "unknown"


class AuthController(Controller):
    """Logging in with the booth's shared password."""

    @post(
        "/token",
        status_code=200,
        summary="Get a bearer token for the shared password",
        operation_class=form_operation(
            FormField("password", "string", True, "The application access password."),
            multipart=False,
        ),
        request_max_body_size=64 * 1024,
        responses=errors(401, 413, 422, 429),
    )
    async def token(
        self,
        request: Request[Any, Any, Any],
        auth: NamedDependency[AuthService],
        login_limiter: NamedDependency[FailureLimiter],
    ) -> TokenRead:
        """Check the password (bcrypt, in a thread, behind the failure limit) and return a JWT."""
        form = await read_form(request)
        password = text(form, "password") or ""
        previous = bearer(request)
        if previous is not None and auth.known_device(previous):
            # A device renewing a token we issued: others' failures at this address spare it.
            return TokenRead(access_token=await in_thread(auth.login, password))
        # A blocked address is refused before bcrypt runs, whatever the password (no oracle);
        # only wrong passwords count.
        with login_limiter.attempt(client_address(request), WrongPasswordError):
            token = await in_thread(auth.login, password)
        return TokenRead(access_token=token)
