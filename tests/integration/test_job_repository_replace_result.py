"""Contract of ``JobRepository.replace_result`` on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from tests.conftest import Backend
from xray_core.jobs.model import JobInfo, JobStatus, NewJob

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
INFO = JobInfo("Anna", "Muster", "Brumm", "bear", "qr")


@pytest.fixture
def store(any_backend: Backend) -> Backend:
    """Each job repository adapter, on a fresh store."""
    return any_backend


def job_with_result(store: Backend, key: str = "results/a.png") -> int:
    """Store a job whose slot 1 holds ``key``."""
    with store.uow() as uow:
        job_id = uow.jobs.add(NewJob(INFO, "originals/o.png", 2, NOW))
        job = uow.jobs.get(job_id)
        assert job is not None
        uow.jobs.save(job.with_result(job.slots[1], key, NOW))
        uow.commit()
    return job_id


def slot_keys(store: Backend, job_id: int) -> list[str | None]:
    with store.uow() as uow:
        job = uow.jobs.get(job_id)
    assert job is not None
    return [s.result_key for s in job.slots]


def test_swaps_the_key_when_the_slot_holds_the_expected_one(store: Backend) -> None:
    """The slot points at the new key after a committed swap; other fields stay."""
    job_id = job_with_result(store)
    with store.uow() as uow:
        assert uow.jobs.replace_result(job_id, 1, "results/a.png", "results/a.png.fx1-x")
        uow.commit()
    assert slot_keys(store, job_id) == [None, "results/a.png.fx1-x"]
    with store.uow() as uow:
        job = uow.jobs.get(job_id)
        referenced = uow.jobs.referenced_keys()
    assert job is not None and job.slots[1].filled_at is not None
    assert job.results()[0].index == 1
    assert "results/a.png.fx1-x" in referenced


def test_refuses_when_the_slot_holds_another_key(store: Backend) -> None:
    """A stale expected key (a concurrent edit won) changes nothing."""
    job_id = job_with_result(store)
    with store.uow() as uow:
        assert not uow.jobs.replace_result(job_id, 1, "results/other.png", "results/new.png")
        assert not uow.jobs.replace_result(job_id, 0, "results/a.png", "results/new.png")
        assert not uow.jobs.replace_result(job_id + 1, 1, "results/a.png", "results/new.png")
        uow.commit()
    assert slot_keys(store, job_id) == [None, "results/a.png"]


def test_refuses_on_a_job_that_is_not_active(store: Backend) -> None:
    """A confirmed job's slots are never changed."""
    job_id = job_with_result(store)
    with store.uow() as uow:
        job = uow.jobs.get(job_id)
        assert job is not None
        uow.jobs.save(replace(job, status=JobStatus.CONFIRMED))
        uow.commit()
    with store.uow() as uow:
        assert not uow.jobs.replace_result(job_id, 1, "results/a.png", "results/new.png")
        uow.commit()
    assert slot_keys(store, job_id) == [None, "results/a.png"]


def test_uncommitted_swap_is_rolled_back(store: Backend) -> None:
    """Without commit the slot keeps its old key."""
    job_id = job_with_result(store)
    with store.uow() as uow:
        assert uow.jobs.replace_result(job_id, 1, "results/a.png", "results/new.png")
    assert slot_keys(store, job_id) == [None, "results/a.png"]
