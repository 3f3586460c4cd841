"""Counting failed attempts per caller in a sliding window (the login rate limit).

Only failures are counted: any number of right passwords from one address (a booth's
devices behind one router) never trip the limit. Counts live in this process's memory.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from xray_core.clock import Clock
from xray_core.errors import AuthenticationError, TooManyRequestsError


class FailureLimiter:
    """Blocks a key (e.g. a client address) after ``limit`` failures within ``window``.

    The window slides: a key is blocked while ``limit`` failures lie within the last
    ``window``, and free again as soon as the oldest of them is older than that. A blocked
    attempt is refused before any work is done and is not counted itself. Keys without a
    failure in the window are forgotten, and at most ``max_keys`` keys are kept (the least
    recently failed go first), so memory stays bounded whatever the callers send. Safe to
    use from several threads.
    """

    def __init__(
        self,
        clock: Clock,
        limit: int,
        window: timedelta = timedelta(minutes=1),
        max_keys: int = 10_000,
    ) -> None:
        """Count with ``clock``; ``limit`` 0 turns limiting off.

        Raises:
            ValueError: a negative limit, a window that is not positive, or ``max_keys`` < 1.
        """
        if limit < 0 or window <= timedelta(0) or max_keys < 1:
            msg = f"bad limiter settings: limit={limit}, window={window}, max_keys={max_keys}"
            raise ValueError(msg)
        self._clock = clock
        self._limit = limit
        self._window = window.total_seconds()
        self._max_keys = max_keys
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """Return how many keys are remembered right now."""
        with self._lock:
            return len(self._failures)

    def check(self, key: str) -> None:
        """Return if ``key`` may try now.

        Raises:
            TooManyRequestsError: ``key`` has ``limit`` failures within the window; its
                ``retry_after`` is the whole seconds until the oldest of them leaves it.
        """
        if self._limit:
            with self._lock:
                self._refuse_if_blocked(key, self._now())

    def record_failure(self, key: str) -> None:
        """Count one failure of ``key`` now."""
        if self._limit:
            with self._lock:
                self._count(key, self._now())

    @contextmanager
    def attempt(self, key: str, failure: type[Exception] = AuthenticationError) -> Iterator[None]:
        """Run the block as one attempt of ``key``; count it if it raises ``failure``.

        The attempt is counted as a failure before the block runs and taken back when the
        block ends otherwise, so that many attempts sent at once cannot all slip past the
        limit while the first of them is still being checked.

        Raises:
            TooManyRequestsError: ``key`` is blocked; the block is not run.
        """
        if not self._limit:
            yield
            return
        with self._lock:
            now = self._now()
            self._refuse_if_blocked(key, now)
            self._count(key, now)
        failed = False
        try:
            yield
        except failure:
            failed = True
            raise
        finally:
            if not failed:
                self._take_back(key, now)

    def _now(self) -> float:
        return self._clock.now().timestamp()

    def _refuse_if_blocked(self, key: str, now: float) -> None:
        times = self._failures.get(key)
        if times is None:
            return
        _drop_old(times, now - self._window)
        if not times:
            del self._failures[key]
        elif len(times) >= self._limit:
            wait = max(1, math.ceil(times[0] + self._window - now))
            msg = f"too many failed attempts from this address: try again in {wait} s"
            raise TooManyRequestsError(msg, wait)

    def _count(self, key: str, now: float) -> None:
        times = self._failures.pop(key, None) or deque(maxlen=self._limit)
        _drop_old(times, now - self._window)
        times.append(now)
        self._failures[key] = times  # now the most recently failed key
        self._forget_idle(now)

    def _take_back(self, key: str, stamp: float) -> None:
        with self._lock:
            times = self._failures.get(key)
            if times is not None and stamp in times:
                times.remove(stamp)
                if not times:
                    del self._failures[key]

    def _forget_idle(self, now: float) -> None:
        """Drop keys whose newest failure left the window, then the oldest beyond the cap."""
        cutoff = now - self._window
        while self._failures:
            key, times = next(iter(self._failures.items()))
            if times[-1] > cutoff and len(self._failures) <= self._max_keys:
                break
            del self._failures[key]


def _drop_old(times: deque[float], cutoff: float) -> None:
    while times and times[0] <= cutoff:
        times.popleft()
