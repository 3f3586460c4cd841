"""Errors of the auth feature."""

from __future__ import annotations

from xray_core.errors import AuthenticationError


class WrongPasswordError(AuthenticationError):
    """The password is not the booth's password."""

    def __init__(self) -> None:
        super().__init__("incorrect password")


class InvalidTokenError(AuthenticationError):
    """The bearer token is missing, malformed, forged or expired."""

    def __init__(self, why: str = "missing or invalid bearer token") -> None:
        super().__init__(why)
