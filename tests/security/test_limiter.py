"""The login failure limiter on its own, with a fake clock."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from tests.fakes.fakes import FakeClock
from xray_core.auth.errors import WrongPasswordError
from xray_core.auth.limiter import FailureLimiter
from xray_core.errors import TooManyRequestsError

ADDRESS = "192.168.1.20"


def fail(limiter: FailureLimiter, key: str = ADDRESS, times: int = 1) -> None:
    for _ in range(times):
        limiter.record_failure(key)


def blocked_for(limiter: FailureLimiter, key: str = ADDRESS) -> int | None:
    """The Retry-After the limiter gives ``key``, or None if it may try."""
    try:
        limiter.check(key)
    except TooManyRequestsError as exc:
        return exc.retry_after
    return None


def test_limit_failures_block_the_next_attempt(clock: FakeClock) -> None:
    """Nine failures leave an address free; the tenth blocks it for the rest of the minute."""
    limiter = FailureLimiter(clock, 10)
    fail(limiter, times=9)
    assert blocked_for(limiter) is None
    fail(limiter)
    assert blocked_for(limiter) == 60


def test_block_lifts_when_the_oldest_failure_leaves_the_window(clock: FakeClock) -> None:
    """The window slides: the block ends once the oldest counted failure is a minute old."""
    limiter = FailureLimiter(clock, 10)
    fail(limiter, times=5)
    clock.advance(seconds=30)
    fail(limiter, times=5)
    assert blocked_for(limiter) == 30
    clock.advance(seconds=29)
    assert blocked_for(limiter) == 1
    clock.advance(seconds=1)
    assert blocked_for(limiter) is None
    fail(limiter)  # five old + one new: still under the limit
    assert blocked_for(limiter) is None


def test_retry_after_is_whole_seconds_and_at_least_one(clock: FakeClock) -> None:
    """Retry-After rounds up, so a client that waits that long is let in."""
    limiter = FailureLimiter(clock, 2)
    fail(limiter, times=2)
    clock.advance(seconds=59.2)
    assert blocked_for(limiter) == 1


def test_addresses_are_counted_apart(clock: FakeClock) -> None:
    """A blocked address does not block another one."""
    limiter = FailureLimiter(clock, 3)
    fail(limiter, "10.0.0.1", 3)
    assert blocked_for(limiter, "10.0.0.1") == 60
    assert blocked_for(limiter, "10.0.0.2") is None


def test_successes_never_count(clock: FakeClock) -> None:
    """Any number of right passwords from one address leaves it unblocked."""
    limiter = FailureLimiter(clock, 3)
    for _ in range(100):
        with limiter.attempt(ADDRESS, WrongPasswordError):
            pass
    fail(limiter, times=2)
    assert blocked_for(limiter) is None


def test_attempt_counts_the_failure_and_lets_other_errors_pass(clock: FakeClock) -> None:
    """A wrong password counts; any other error in the block does not."""
    limiter = FailureLimiter(clock, 2)
    with pytest.raises(KeyError), limiter.attempt(ADDRESS, WrongPasswordError):
        raise KeyError(ADDRESS)
    with pytest.raises(WrongPasswordError), limiter.attempt(ADDRESS, WrongPasswordError):
        raise WrongPasswordError
    assert blocked_for(limiter) is None
    with pytest.raises(WrongPasswordError), limiter.attempt(ADDRESS, WrongPasswordError):
        raise WrongPasswordError
    assert blocked_for(limiter) == 60


def test_blocked_attempt_does_not_run_and_is_not_counted(clock: FakeClock) -> None:
    """While blocked, the block (the bcrypt check) never runs and the block is not extended."""
    limiter = FailureLimiter(clock, 1)
    fail(limiter)
    ran = []
    for _ in range(5):
        with pytest.raises(TooManyRequestsError), limiter.attempt(ADDRESS):
            ran.append(True)
    assert ran == []
    clock.advance(seconds=60)
    assert blocked_for(limiter) is None


def test_attempts_in_flight_count_against_the_limit(clock: FakeClock) -> None:
    """Attempts sent at once cannot all slip past the limit while the first is checked."""
    limiter = FailureLimiter(clock, 3)
    with limiter.attempt(ADDRESS), limiter.attempt(ADDRESS), limiter.attempt(ADDRESS):
        assert blocked_for(limiter) == 60
        with pytest.raises(TooManyRequestsError), limiter.attempt(ADDRESS):
            pass
    assert blocked_for(limiter) is None  # all three succeeded: nothing stays counted


def test_concurrent_failures_from_threads_are_all_counted(clock: FakeClock) -> None:
    """Failures recorded from many threads at once are neither lost nor over-counted."""
    limiter = FailureLimiter(clock, 1000)
    threads = [threading.Thread(target=fail, args=(limiter, ADDRESS, 50)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert blocked_for(limiter) is None
    fail(limiter, times=600)
    assert blocked_for(limiter) == 60


def test_idle_addresses_are_forgotten(clock: FakeClock) -> None:
    """Keys whose failures are all older than the window are dropped."""
    limiter = FailureLimiter(clock, 10)
    for i in range(500):
        fail(limiter, f"10.0.{i // 250}.{i % 250}")
    assert len(limiter) == 500
    clock.advance(seconds=61)
    fail(limiter, "10.9.9.9")
    assert len(limiter) == 1


def test_memory_is_bounded_under_a_flood_of_addresses(clock: FakeClock) -> None:
    """At most max_keys addresses are remembered, the least recently failed go first."""
    limiter = FailureLimiter(clock, 2, max_keys=100)
    fail(limiter, "first", 2)
    for i in range(1000):
        fail(limiter, f"fd00::{i:x}")
    assert len(limiter) == 100
    assert blocked_for(limiter, "first") is None
    fail(limiter, "fd00::3e7")
    assert blocked_for(limiter, "fd00::3e7") == 60


def test_zero_limit_turns_limiting_off(clock: FakeClock) -> None:
    """A limit of 0 never blocks and remembers nothing."""
    limiter = FailureLimiter(clock, 0)
    fail(limiter, times=100)
    with pytest.raises(WrongPasswordError), limiter.attempt(ADDRESS):
        raise WrongPasswordError
    assert blocked_for(limiter) is None
    assert len(limiter) == 0


@pytest.mark.parametrize(
    ("limit", "window", "max_keys"),
    [(-1, timedelta(minutes=1), 10), (5, timedelta(0), 10), (5, timedelta(minutes=1), 0)],
)
def test_nonsense_settings_are_refused(
    clock: FakeClock, limit: int, window: timedelta, max_keys: int
) -> None:
    """A negative limit, an empty window or no room for keys is a ValueError."""
    with pytest.raises(ValueError, match="bad limiter settings"):
        FailureLimiter(clock, limit, window, max_keys)
