"""The auth service: logging in with the shared password, checking tokens, signing URLs."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from xray_core.auth.errors import InvalidTokenError, WrongPasswordError
from xray_core.auth.ports import PasswordHasher, TokenCodec
from xray_core.clock import Clock
from xray_core.metrics import AuthMetrics, NoMetrics

MAX_PASSWORD_BYTES = 72  # bcrypt looks at no more; longer input cannot be the password
DEVICE_MEMORY = timedelta(days=7)


class AuthService:
    """Turns the shared password into bearer tokens and checks them."""

    def __init__(
        self,
        hasher: PasswordHasher,
        codec: TokenCodec,
        password_hash: str,
        clock: Clock,
        token_ttl: timedelta,
        metrics: AuthMetrics | None = None,
    ) -> None:
        self._hasher = hasher
        self._codec = codec
        self._hash = password_hash
        self._clock = clock
        self._ttl = token_ttl
        self._metrics: AuthMetrics = metrics or NoMetrics()

    def login(self, password: str) -> str:
        """Return a bearer token for the right password (slow: run it in a thread).

        Raises:
            WrongPasswordError: wrong, empty or over-long password.
        """
        encoded = password.encode("utf-8", "surrogatepass")
        if (
            not encoded
            or len(encoded) > MAX_PASSWORD_BYTES
            or not self._hasher.verify(password, self._hash)
        ):
            self._metrics.login_failed()
            raise WrongPasswordError
        return self.issue()

    def issue(self) -> str:
        """Return a fresh bearer token (for the login above and for in-process workers)."""
        now = self._clock.now()
        return self._codec.encode(
            {"sub": "booth", "iat": int(now.timestamp()), "exp": int((now + self._ttl).timestamp())}
        )

    def known_device(self, token: str) -> bool:
        """Return whether ``token`` is one we issued in the last week, even if expired.

        A client renewing its token sends the old one along: it has logged in here before
        (a booth device), so a lockout caused by others behind the same address spares it.
        """
        try:
            claims = self._codec.decode(token, allow_expired=True)
        except InvalidTokenError:
            return False
        return claims.get("sub") == "booth" and _recent(claims, self._clock.now(), DEVICE_MEMORY)

    def check(self, token: str) -> None:
        """Accept a valid, unexpired token.

        Raises:
            InvalidTokenError: anything else.
        """
        claims = self._codec.decode(token)
        if claims.get("sub") != "booth":
            raise InvalidTokenError
        # The codec checks expiry against the wall clock; the core's clock has the last word.
        if not isinstance(claims.get("exp"), int) or claims["exp"] < self._clock.now().timestamp():
            raise InvalidTokenError("the bearer token has expired: log in again")


def _recent(claims: dict[str, object], now: datetime, within: timedelta) -> bool:
    issued = claims.get("iat")
    return isinstance(issued, int) and issued >= (now - within).timestamp()


class UrlSigner:
    """Signs image URLs so that a browser ``<img src>`` can load them without a header."""

    def __init__(self, secret: bytes, clock: Clock, ttl: timedelta) -> None:
        self._key = hashlib.sha256(b"url-signing:" + secret).digest()
        self._clock = clock
        self._ttl = ttl

    def sign(self, path: str) -> tuple[int, str]:
        """Return ``(expires, signature)`` for ``path``, valid for at least the TTL.

        The expiry is rounded up to a step of a quarter TTL, so a page polling ``/results``
        every second gets the same URLs for minutes and the browser keeps its images
        instead of fetching every PNG again on each poll.
        """
        ttl = int(self._ttl.total_seconds())
        step = max(60, ttl // 4)
        expires = (int(self._clock.now().timestamp()) + ttl) // step * step + step
        return expires, self._mac(path, expires)

    def valid(self, path: str, expires: int, signature: str) -> bool:
        """Return whether ``signature`` signs ``path`` and has not expired."""
        if expires < self._clock.now().timestamp() or not signature.isascii():
            return False
        return hmac.compare_digest(self._mac(path, expires), signature)

    def _mac(self, path: str, expires: int) -> str:
        message = f"{path}\n{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]
