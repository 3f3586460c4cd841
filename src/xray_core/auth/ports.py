"""Ports of the auth feature."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class PasswordHasher(Protocol):
    """Hashes and checks passwords (slow on purpose; call off the event loop)."""

    def hash(self, password: str) -> str:
        """Return a salted hash of ``password``."""
        ...

    def verify(self, password: str, hashed: str) -> bool:
        """Return whether ``password`` matches ``hashed``; never raises for odd input."""
        ...


class TokenCodec(Protocol):
    """Signs and checks bearer tokens."""

    def encode(self, claims: Mapping[str, Any]) -> str:
        """Return a signed token holding ``claims``."""
        ...

    def decode(self, token: str, *, allow_expired: bool = False) -> dict[str, Any]:
        """Return the claims of a valid token (an expired one too with ``allow_expired``).

        Raises:
            AuthenticationError: bad signature or algorithm, expired, missing ``exp``, garbage.
        """
        ...
