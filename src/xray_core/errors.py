"""Error categories of the core.

Every error the core raises is an :class:`XrayError`; feature errors subclass one of the
categories below. The core knows no status codes: the HTTP edge maps categories to them.
"""

from __future__ import annotations


class XrayError(Exception):
    """Base of every error raised on purpose by Teddy X-Ray."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(XrayError):
    """The thing asked for does not exist (or no longer exists)."""


class ConflictError(XrayError):
    """The request is valid but clashes with the current state."""


class InvalidInputError(XrayError):
    """The input is malformed or out of range."""


class UnsupportedMediaError(InvalidInputError):
    """The input's content is not of a kind we accept (e.g. not an image)."""


class TooLargeError(InvalidInputError):
    """The input is larger than allowed."""


class AuthenticationError(XrayError):
    """Credentials are missing, wrong or expired."""


class PermissionDeniedError(XrayError):
    """Credentials are valid but do not allow this."""


class TooManyRequestsError(XrayError):
    """The caller must slow down.

    Attributes:
        retry_after: seconds after which a new attempt may succeed.
    """

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BusyError(XrayError):
    """The storage is too busy to answer now; the same request may succeed shortly.

    Attributes:
        retry_after: seconds after which a new attempt may succeed.
    """

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UnavailableError(XrayError):
    """The thing exists but is not ready yet (e.g. a PDF still being made)."""
