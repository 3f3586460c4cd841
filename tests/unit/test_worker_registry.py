"""The worker registry: throttled poll writes, results and failures, speed and "gone"."""

from __future__ import annotations

import pytest

from tests.conftest import Backend
from tests.fakes.fakes import FakeClock
from tests.unit.service_kit import LEASE, Services, build, result, upload
from xray_core.errors import XrayError
from xray_core.workers.model import Identity, NoWorkerCheck
from xray_core.workers.service import WorkerRegistry

GPU = Identity("gpu-1", "10.0.0.7", "python-httpx/0.28", "sdxl 1.0")


@pytest.fixture
def services(backend: Backend, clock: FakeClock) -> Services:
    """The core services on the backend under test."""
    return build(backend, clock)


@pytest.fixture
def registry(backend: Backend, clock: FakeClock) -> WorkerRegistry:
    """A registry on the same backend and clock."""
    return WorkerRegistry(backend.uow, clock, write_every=5)


def test_polls_are_written_at_most_once_every_few_seconds(
    registry: WorkerRegistry, clock: FakeClock
) -> None:
    """Twenty polls within five seconds write the worker's row once; the next interval again."""
    written = 0
    for _ in range(20):
        written += registry.seen(GPU)
        clock.advance(seconds=0.2)
    assert written == 1
    clock.advance(seconds=1)
    assert registry.seen(GPU)
    [status] = registry.fleet()
    assert status.record.last_seen == clock.now()
    assert status.record.info == "sdxl 1.0" and status.record.address == "10.0.0.7"


def test_a_worker_silent_for_a_minute_is_gone(registry: WorkerRegistry, clock: FakeClock) -> None:
    """A worker shows as alive for a minute after its last poll, then as gone."""
    registry.seen(GPU)
    clock.advance(seconds=60)
    assert not registry.fleet()[0].gone
    clock.advance(seconds=1)
    assert registry.fleet()[0].gone
    assert not registry.others_alive("builtin")


def test_results_failures_speed_and_slots_held_are_counted(
    services: Services, registry: WorkerRegistry, clock: FakeClock
) -> None:
    """Each result and failure is counted; mean and p95 come from claim-to-result times."""
    for seconds in (10, 20, 30, 40):
        upload(services)
        claim = services.jobs.claim(GPU.name)
        assert claim
        clock.advance(seconds=seconds)
        slot = services.jobs.submit(claim.job.id, result((seconds, 0, 0)), claim.lease_id)
        registry.delivered(GPU, slot.claimed_at)
    held = services.jobs.claim(GPU.name)
    assert held
    services.jobs.claim("cpu")
    services.jobs.fail(held.job.id, held.lease_id, "oops")
    registry.failed(GPU)
    services.jobs.claim(GPU.name)
    statuses = {s.record.name: s for s in registry.fleet()}
    assert statuses["gpu-1"].record.results == 4 and statuses["gpu-1"].record.failures == 1
    assert statuses["gpu-1"].record.mean_seconds == 25
    assert statuses["gpu-1"].record.p95_seconds == 40
    assert statuses["gpu-1"].slots_held == 1


def test_results_and_failures_are_counted_in_the_transaction_that_stores_them(
    services: Services, registry: WorkerRegistry, clock: FakeClock
) -> None:
    """The HTTP routes count in the result's own transaction: a refused result counts nothing."""
    upload(services)
    claim = services.jobs.claim(GPU.name)
    assert claim
    clock.advance(seconds=12)
    also = registry.delivery(GPU)
    services.jobs.submit(claim.job.id, result((1, 2, 3)), claim.lease_id, also=also)
    with pytest.raises(XrayError):  # the same lease again: refused, nothing counted
        services.jobs.submit(claim.job.id, result((1, 2, 3)), claim.lease_id, also=also)
    second = services.jobs.claim(GPU.name)
    assert second
    services.jobs.fail(second.job.id, second.lease_id, "oops", also=registry.failure(GPU))
    [status] = registry.fleet()
    assert (status.record.results, status.record.failures) == (1, 1)
    assert status.record.mean_seconds == 12
    assert [s.filled for s in services.jobs.pending()[0].slots].count(True) == 1


def test_the_registry_survives_a_new_registry_on_the_same_storage(
    backend: Backend, clock: FakeClock
) -> None:
    """A restarted server (a new registry over the same storage) still knows the fleet."""
    WorkerRegistry(backend.uow, clock).seen(GPU)
    assert [s.record.name for s in WorkerRegistry(backend.uow, clock).fleet()] == ["gpu-1"]


def test_the_time_until_gone_is_a_setting(backend: Backend, clock: FakeClock) -> None:
    """With ``gone_after`` of 10 s a worker shows as gone 11 s after its last poll."""
    registry = WorkerRegistry(backend.uow, clock, gone_after=10)
    registry.seen(GPU)
    clock.advance(seconds=10)
    assert not registry.fleet()[0].gone
    clock.advance(seconds=1)
    assert registry.fleet()[0].gone


def test_no_worker_is_warned_about_only_while_cases_wait_and_the_fleet_is_silent(
    services: Services, backend: Backend, clock: FakeClock
) -> None:
    """Warn when a case waits and nobody polled for 30 s; a poll or a live lease ends it."""
    registry = WorkerRegistry(backend.uow, clock, quiet_after=30)

    def check() -> NoWorkerCheck:
        return registry.no_worker(registry.fleet(), services.jobs.work_queue())

    assert not check().warn  # nothing waits
    upload(services)
    assert check().warn and check().quiet_seconds is None  # a case, and no worker ever
    registry.seen(GPU)
    assert not check().warn
    clock.advance(seconds=29)
    assert not check().warn and check().quiet_seconds == 29
    clock.advance(seconds=1)
    assert check().warn and check().waiting_cases == 1
    claim = services.jobs.claim(GPU.name)
    clock.advance(seconds=60)
    assert claim and not check().warn  # a worker drawing for minutes holds a live lease
    assert check().being_made == 1
    clock.advance(seconds=LEASE.total_seconds())
    assert check().warn  # its lease ran out: it is dead, the case waits again


def test_a_failed_case_waits_for_the_doctor_not_for_a_worker(
    services: Services, backend: Backend, clock: FakeClock
) -> None:
    """A case that used up its attempts counts as waiting for no worker: no warning."""
    registry = WorkerRegistry(backend.uow, clock)
    upload(services)
    for n in range(services.jobs.max_attempts):
        claim = services.jobs.claim(f"{GPU.name}-{n}")  # each worker fails it once (ADR 13)
        assert claim
        services.jobs.fail(claim.job.id, claim.lease_id, "CUDA error")
    queue = services.jobs.work_queue()
    assert queue.waiting_cases == 0 and queue.being_made == 0
    assert not registry.no_worker(registry.fleet(), queue).warn


def test_a_worker_drawing_under_a_live_lease_is_not_gone(
    services: Services, backend: Backend, clock: FakeClock
) -> None:
    """A silent worker that holds a live lease is working, not gone, until the lease ends."""
    registry = WorkerRegistry(backend.uow, clock, gone_after=10)
    upload(services)
    registry.seen(GPU)
    assert services.jobs.claim(GPU.name)
    clock.advance(seconds=60)  # drawing, not polling
    [status] = registry.fleet()
    assert not status.gone and status.slots_held == 1
    assert registry.others_alive("builtin")
    clock.advance(seconds=LEASE.total_seconds())
    assert registry.fleet()[0].gone
