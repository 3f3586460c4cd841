"""Domain types of the worker registry."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

GONE_AFTER = timedelta(minutes=1)
QUIET_AFTER = timedelta(seconds=30)
KEPT_DURATIONS = 100


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a request comes from: a name, or its address and User-Agent when it sent none."""

    name: str
    address: str = ""
    user_agent: str = ""
    info: str = ""


@dataclass(frozen=True, slots=True)
class WorkerRecord:
    """What the server knows about one worker."""

    name: str
    first_seen: datetime
    last_seen: datetime
    address: str = ""
    user_agent: str = ""
    info: str = ""
    results: int = 0
    failures: int = 0
    durations: tuple[float, ...] = ()

    @classmethod
    def new(cls, who: Identity, now: datetime) -> WorkerRecord:
        """Return the record of a worker seen for the first time."""
        return cls(who.name, now, now, who.address, who.user_agent, who.info)

    def seen(self, who: Identity, now: datetime) -> WorkerRecord:
        """Return this record seen at ``now`` (with the latest address and info)."""
        return replace(
            self,
            last_seen=max(self.last_seen, now),
            address=who.address or self.address,
            user_agent=who.user_agent or self.user_agent,
            info=who.info or self.info,
        )

    def delivered(self, seconds: float | None, now: datetime) -> WorkerRecord:
        """Return this record with one more result, claimed ``seconds`` before it arrived."""
        kept = self.durations if seconds is None else (*self.durations, max(0.0, seconds))
        return replace(
            self,
            results=self.results + 1,
            durations=kept[-KEPT_DURATIONS:],
            last_seen=max(self.last_seen, now),
        )

    def failed(self, now: datetime) -> WorkerRecord:
        """Return this record with one more failure report."""
        return replace(self, failures=self.failures + 1, last_seen=max(self.last_seen, now))

    def gone(self, now: datetime, after: timedelta = GONE_AFTER) -> bool:
        """Whether the worker has not been seen for ``after`` (a minute by default)."""
        return now - self.last_seen > after

    @property
    def mean_seconds(self) -> float | None:
        """Mean time from claim to result over the last results, or ``None``."""
        return sum(self.durations) / len(self.durations) if self.durations else None

    @property
    def p95_seconds(self) -> float | None:
        """95th percentile (nearest rank) of the time from claim to result, or ``None``."""
        if not self.durations:
            return None
        ordered = sorted(self.durations)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


@dataclass(frozen=True, slots=True)
class WorkerStatus:
    """A worker as ``GET /workers`` shows it."""

    record: WorkerRecord
    slots_held: int
    gone: bool
    seconds_since_seen: float = 0.0


@dataclass(frozen=True, slots=True)
class NoWorkerCheck:
    """Whether to warn the doctor that no worker is making x-rays.

    Attributes:
        waiting_cases: pending cases with a slot a worker could take now.
        being_made: result slots a worker holds a live lease on.
        quiet_seconds: seconds since any worker was last seen (``None``: never).
        quiet_after: how long the fleet may be silent before the warning.
    """

    waiting_cases: int
    being_made: int
    quiet_seconds: float | None
    quiet_after: float

    @property
    def warn(self) -> bool:
        """Cases wait, no worker was seen for ``quiet_after`` and none holds a live lease.

        A worker still drawing (its lease live, extended while it works) need not poll:
        one GPU worker that draws for minutes is no reason to alarm anyone.
        """
        silent = self.quiet_seconds is None or self.quiet_seconds >= self.quiet_after
        return self.waiting_cases > 0 and self.being_made == 0 and silent
