"""Errors of publishing."""

from __future__ import annotations

from xray_core.errors import AuthenticationError, XrayError


class PublishError(XrayError):
    """A delivery to the portal failed; it is tried again later.

    Attributes:
        reachable: whether the portal answered at all (``False``: no connection, so the
            other entries need not be tried now either).
    """

    def __init__(self, message: str, *, reachable: bool = True) -> None:
        super().__init__(message)
        self.reachable = reachable


class PublishKeyError(AuthenticationError):
    """A publish request came without the portal's publish key."""

    def __init__(self) -> None:
        super().__init__("a valid publish key is required")
