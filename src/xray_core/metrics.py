"""The metrics port: events the core reports as they happen (uploads, results, logins).

The core never imports a metrics library; the HTTP package hands in an adapter (Prometheus)
and everything else gets :class:`NoMetrics`. Counts of what is stored (cases by state, the
queue) are not events: they come from ``JobService.counts`` when they are asked for.
"""

from __future__ import annotations

from typing import Protocol


class JobMetrics(Protocol):
    """Observes the life of a case."""

    def job_uploaded(self) -> None:
        """A photo was accepted and stored as a new case."""
        ...

    def first_result(self, seconds: float) -> None:
        """A case got its first x-ray ``seconds`` after its upload."""
        ...

    def confirmed(self, seconds: float) -> None:
        """A case was confirmed ``seconds`` after its upload."""
        ...


class AuthMetrics(Protocol):
    """Observes logins."""

    def login_failed(self) -> None:
        """A login was refused for a wrong password."""
        ...


class NoMetrics:
    """Observes nothing (the default)."""

    def job_uploaded(self) -> None:
        """Do nothing."""

    def first_result(self, seconds: float) -> None:
        """Do nothing."""

    def confirmed(self, seconds: float) -> None:
        """Do nothing."""

    def login_failed(self) -> None:
        """Do nothing."""
