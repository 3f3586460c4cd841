"""Fakes for the ports whose real adapters are slow or time-dependent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        """Return the current fake time."""
        return self.current

    def advance(self, **delta: float) -> None:
        """Move the clock forward (e.g. ``advance(seconds=601)``)."""
        self.current += timedelta(**delta)


class FakePasswordHasher:
    """A fast, insecure stand-in for bcrypt: ``fake$<password>``."""

    def hash(self, password: str) -> str:
        """Return the fake hash."""
        return f"fake${password}"

    def verify(self, password: str, hashed: str) -> bool:
        """Compare with the fake hash."""
        return hashed == f"fake${password}"
