"""The worker's backoff: growing waits, capped, with jitter so that workers do not poll in step."""

from __future__ import annotations

from xray_http.worker import Backoff


def test_waits_grow_to_the_cap_and_are_jittered() -> None:
    """Waits never exceed the cap, never fall below half of the step, and differ between workers."""
    runs = []
    for _ in range(20):
        backoff = Backoff(first=0.2, cap=5.0)
        runs.append([backoff.next() for _ in range(12)])
    for waits in runs:
        assert all(0.1 <= w <= 5.0 for w in waits)
        assert waits[-1] >= 2.5
    assert len({round(waits[-1], 6) for waits in runs}) > 1


def test_reset_starts_again_from_the_shortest_wait() -> None:
    """After work was found the next empty poll waits the shortest time again."""
    backoff = Backoff(first=0.2, cap=5.0)
    for _ in range(10):
        backoff.next()
    backoff.reset()
    assert backoff.next() <= 0.2
