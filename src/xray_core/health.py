"""Readiness: whether this process can serve, asked of probes with a deadline each.

A probe checks one thing the server needs (the database, the data directory) and raises
when it is not there. Probes run in threads so that one that hangs (a database host that
drops packets) is reported after the deadline instead of holding the caller.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol


class Probe(Protocol):
    """Checks one dependency of the server."""

    name: str

    def check(self) -> None:
        """Return if the dependency works; raise an exception saying what is wrong otherwise."""
        ...


@dataclass(frozen=True, slots=True)
class Readiness:
    """The answer of :meth:`HealthService.ready`.

    Attributes:
        checks: ``"ok"`` or the reason, per probe name.
        reason: the first failure as ``"name: reason"``, or ``None`` when all passed.
    """

    checks: dict[str, str]
    reason: str | None

    @property
    def ok(self) -> bool:
        """Whether every probe passed."""
        return self.reason is None


class HealthService:
    """Runs the probes, each within ``deadline_seconds``."""

    def __init__(self, probes: Sequence[Probe], deadline_seconds: float = 1.0) -> None:
        self._probes = tuple(probes)
        self._deadline = deadline_seconds
        # One worker per probe; a probe still hung from an earlier call is waited on again
        # rather than started twice, so a dead database cannot pile up threads.
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, len(self._probes)), thread_name_prefix="probe"
        )
        self._running: dict[str, Future[None]] = {}
        self._lock = threading.Lock()

    def ready(self) -> Readiness:
        """Run every probe (concurrently) and report the first that failed, if any."""
        until = time.monotonic() + self._deadline
        with self._lock:
            started = {p.name: (p, *self._start(p)) for p in self._probes}
        checks: dict[str, str] = {}
        for name, (probe, future, fresh) in started.items():
            checks[name], raised = self._outcome(future, until)
            if raised and not fresh:
                # That check was started by an earlier call and hung; its failure is as old
                # as its start (on PostgreSQL its statement timeout ends it about when that
                # call's deadline did). Ask again, within what is left of this deadline.
                with self._lock:
                    again, _ = self._start(probe)
                checks[name], _ = self._outcome(again, until)
        failed = next((f"{n}: {r}" for n, r in checks.items() if r != "ok"), None)
        return Readiness(checks=checks, reason=failed)

    def _outcome(self, future: Future[None], until: float) -> tuple[str, bool]:
        """Return ``"ok"`` or the reason, and whether the check raised (not timed out)."""
        try:
            future.result(timeout=max(0.0, until - time.monotonic()))
        except Exception as exc:
            # The wait's TimeoutError is the builtin one, which a probe may raise as well:
            # only a check still running timed out.
            if future.cancelled() or (future.done() and future.exception() is exc):
                return _describe(exc), True
            return f"no answer within {self._deadline:g} s", False
        return "ok", False

    def _start(self, probe: Probe) -> tuple[Future[None], bool]:
        """Return the probe's check in flight, or a new one; and whether it is new."""
        running = self._running.get(probe.name)
        if running is not None and not running.done():
            return running, False
        future = self._pool.submit(probe.check)
        self._running[probe.name] = future
        return future, True

    def close(self) -> None:
        """Stop the probe threads (those still hung are left to finish on their own)."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__
