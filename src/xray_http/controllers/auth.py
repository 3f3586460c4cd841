"""``POST /token``."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency

from xray_core.auth.service import AuthService
from xray_http.controllers._base import in_thread
from xray_http.forms import FormField, form_operation, read_form, text
from xray_http.schemas.api import TokenRead


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
    )
    async def token(
        self, request: Request[Any, Any, Any], auth: NamedDependency[AuthService]
    ) -> TokenRead:
        """Check the password (bcrypt, in a thread) and return a JWT."""
        form = await read_form(request)
        token = await in_thread(auth.login, text(form, "password") or "")
        return TokenRead(access_token=token)
