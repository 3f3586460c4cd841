"""bcrypt password hashing and PyJWT bearer tokens."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import bcrypt
import jwt

from xray_core.auth.errors import InvalidTokenError

ALGORITHM = "HS256"


class BcryptPasswordHasher:
    """Hashes passwords with bcrypt."""

    def __init__(self, rounds: int = 12) -> None:
        self._rounds = rounds

    def hash(self, password: str) -> str:
        """Return the bcrypt hash of ``password`` (at most 72 bytes)."""
        return bcrypt.hashpw(password.encode(), bcrypt.gensalt(self._rounds)).decode()

    def verify(self, password: str, hashed: str) -> bool:
        """Return whether ``password`` matches; odd input (too long, bad hash) is a mismatch."""
        try:
            return bcrypt.checkpw(password.encode("utf-8"), hashed.encode("ascii"))
        except (ValueError, UnicodeError):
            return False


class PyJwtTokenCodec:
    """HS256 JSON Web Tokens; the algorithm is pinned and ``exp``/``iat`` are required."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def encode(self, claims: Mapping[str, Any]) -> str:
        """Return a signed token."""
        return jwt.encode(dict(claims), self._secret, algorithm=ALGORITHM)

    def decode(self, token: str, *, allow_expired: bool = False) -> dict[str, Any]:
        """Return the claims of a valid token, else raise ``InvalidTokenError``."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                options={"require": ["exp", "iat", "sub"], "verify_exp": not allow_expired},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidTokenError("the bearer token has expired: log in again") from exc
        except jwt.PyJWTError as exc:
            raise InvalidTokenError("invalid bearer token") from exc
        return claims
