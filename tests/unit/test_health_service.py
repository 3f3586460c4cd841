"""The readiness service: probes pass, fail, or hang past their deadline."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from xray_core.health import HealthService
from xray_storage.blobs.health import DirectoryProbe


class FakeProbe:
    """A probe that passes, raises, or blocks until released."""

    def __init__(self, name: str, error: Exception | None = None) -> None:
        self.name = name
        self.error = error
        self.release = threading.Event()
        self.release.set()
        self.calls = 0

    def check(self) -> None:
        self.calls += 1
        self.release.wait()
        if self.error is not None:
            raise self.error


@pytest.fixture
def hanging() -> Iterator[FakeProbe]:
    probe = FakeProbe("database")
    probe.release.clear()
    yield probe
    probe.release.set()


def test_all_probes_passing_is_ready() -> None:
    """With every probe passing, the answer is ready and names each check ok."""
    readiness = HealthService([FakeProbe("database"), FakeProbe("data_dir")]).ready()
    assert readiness.ok
    assert readiness.checks == {"database": "ok", "data_dir": "ok"}


def test_a_failing_probe_is_the_reason() -> None:
    """A probe that raises makes the service unready, with its name and message as reason."""
    failing = FakeProbe("data_dir", OSError("disk full"))
    readiness = HealthService([FakeProbe("database"), failing]).ready()
    assert not readiness.ok
    assert readiness.reason == "data_dir: OSError: disk full"
    assert readiness.checks["database"] == "ok"


def test_a_hanging_probe_is_reported_after_its_deadline(hanging: FakeProbe) -> None:
    """A probe that does not return within the deadline is reported as not answering."""
    readiness = HealthService([hanging], deadline_seconds=0.05).ready()
    assert readiness.reason == "database: no answer within 0.05 s"


def test_a_hung_probe_is_not_started_twice(hanging: FakeProbe) -> None:
    """Asking again while a probe still hangs waits on the same call (no pile of threads)."""
    service = HealthService([hanging], deadline_seconds=0.05)
    service.ready()
    service.ready()
    assert hanging.calls == 1
    hanging.release.set()
    assert service.ready().ok


class TimedOutOnce(FakeProbe):
    """Like PostgreSQL's statement timeout: the first check, once released, fails; later pass."""

    def check(self) -> None:
        self.calls += 1
        if self.calls == 1:
            self.release.wait()
            raise TimeoutError("canceling statement due to statement timeout")


def test_a_hung_probe_failing_late_is_asked_again() -> None:
    """A failure of a check an earlier call started is stale: ready asks once more, fresh.

    The database probe's statement timeout ends a hung check about when the deadline does;
    the next call must not report that old failure once the database answers again.
    """
    probe = TimedOutOnce("database")
    probe.release.clear()
    service = HealthService([probe], deadline_seconds=0.5)
    assert service.ready().reason == "database: no answer within 0.5 s"  # still hung
    threading.Thread(target=lambda: (time.sleep(0.1), probe.release.set())).start()
    assert service.ready().ok  # the hung check failed during this call: asked again
    assert probe.calls == 2


def test_no_probes_is_ready() -> None:
    """In-memory storage has nothing to ask: always ready."""
    assert HealthService([]).ready().ok


def test_directory_probe_passes_on_a_writable_dir_and_leaves_nothing(tmp_path: Path) -> None:
    """A writable directory with space passes, and the probe's file is gone afterwards."""
    DirectoryProbe(tmp_path, min_free_bytes=0).check()
    assert list(tmp_path.iterdir()) == []


def test_directory_probe_fails_when_the_dir_is_gone(tmp_path: Path) -> None:
    """A data dir that is missing (or not a directory) cannot be written to."""
    (tmp_path / "data").write_text("not a directory")
    with pytest.raises(OSError, match="Not a directory"):
        DirectoryProbe(tmp_path / "data", min_free_bytes=0).check()


def test_directory_probe_fails_below_the_free_space_minimum(tmp_path: Path) -> None:
    """Less free space than the minimum fails, naming both figures in MB."""
    with pytest.raises(OSError, match=r"MB free, below the minimum of 1048576 MB"):
        DirectoryProbe(tmp_path, min_free_bytes=1024**4).check()
