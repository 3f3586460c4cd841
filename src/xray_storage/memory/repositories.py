"""In-memory repositories and unit of work.

One :class:`InMemoryStore` holds the state; each unit of work takes its lock for the whole
block (so claims are atomic, like ``BEGIN IMMEDIATE`` on SQLite) and restores a snapshot
unless committed.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType
from typing import Self

from xray_core.carousel.model import CarouselItem
from xray_core.jobs.model import Job, JobStatus, NewJob, Slot
from xray_core.owners.model import Owner, OwnerItem
from xray_core.publishing.model import Deletion, NewEntry, OutboxEntry
from xray_core.qr.model import BatchStatus, QRBatch
from xray_core.qr.sheet import SheetLayout
from xray_core.workers.model import WorkerRecord


@dataclass
class _State:
    jobs: dict[int, Job] = field(default_factory=dict)
    carousel: list[CarouselItem] = field(default_factory=list)
    owners: dict[str, Owner] = field(default_factory=dict)
    items: list[OwnerItem] = field(default_factory=list)
    batches: dict[int, QRBatch] = field(default_factory=dict)
    next_id: dict[str, int] = field(default_factory=dict)
    workers: dict[str, WorkerRecord] = field(default_factory=dict)
    outbox: dict[int, OutboxEntry] = field(default_factory=dict)
    # The publisher's lease (holder, until) and its cursor in the portal's deletions.
    publisher: dict[str, object] = field(default_factory=dict)
    tombstones: list[Deletion] = field(default_factory=list)

    def new_id(self, kind: str) -> int:
        self.next_id[kind] = self.next_id.get(kind, 0) + 1
        return self.next_id[kind]


class InMemoryStore:
    """The shared state behind in-memory units of work."""

    def __init__(self) -> None:
        self.state = _State()
        self.lock = threading.RLock()

    def __call__(self) -> InMemoryUnitOfWork:
        """Return a new unit of work (the store is a unit-of-work factory)."""
        return InMemoryUnitOfWork(self)


class _Jobs:
    def __init__(self, state: _State) -> None:
        self._s = state

    def add(self, job: NewJob) -> int:
        job_id = self._s.new_id("job")
        slots = tuple(Slot(index=i) for i in range(job.slot_count))
        self._s.jobs[job_id] = Job(
            job_id,
            job.info,
            job.original_key,
            job.created_at,
            JobStatus.ACTIVE,
            slots,
            workflow=job.workflow,
        )
        return job_id

    def get(self, job_id: int, *, lock: bool = False) -> Job | None:
        return self._s.jobs.get(job_id)

    def next_claimable(
        self,
        now: datetime,
        *,
        max_attempts: int | None = None,
        created_before: datetime | None = None,
        workflows: Collection[str] | None = None,
        shunned_by: tuple[str, datetime] | None = None,
    ) -> Job | None:
        return next(
            (
                j
                for j in self.active()
                if j.claimable_slot(now, max_attempts) is not None
                and (created_before is None or j.created_at <= created_before)
                and (workflows is None or j.workflow in workflows)
                and (shunned_by is None or not j.shuns(*shunned_by))
            ),
            None,
        )

    def active(self) -> list[Job]:
        return [j for _, j in sorted(self._s.jobs.items()) if j.status is JobStatus.ACTIVE]

    def save(self, job: Job) -> None:
        if job.id in self._s.jobs:
            self._s.jobs[job.id] = job

    def replace_result(self, job_id: int, index: int, expected: str, new: str) -> bool:
        job = self._s.jobs.get(job_id)
        if job is None or job.status is not JobStatus.ACTIVE:
            return False
        slot = next((s for s in job.slots if s.index == index), None)
        if slot is None or slot.result_key != expected:
            return False
        self._s.jobs[job_id] = job.with_slot(replace(slot, result_key=new))
        return True

    def referenced_keys(self) -> set[str]:
        keys = {j.original_key for j in self._s.jobs.values() if j.original_key}
        keys |= {str(s.result_key) for j in self._s.jobs.values() for s in j.slots if s.filled}
        return keys

    def delete_all(self) -> int:
        count = len(self._s.jobs)
        self._s.jobs.clear()
        return count

    def count_active(self) -> int:
        return sum(1 for j in self._s.jobs.values() if j.status is JobStatus.ACTIVE)

    def count_by_status(self) -> dict[JobStatus, int]:
        counts: dict[JobStatus, int] = {}
        for job in self._s.jobs.values():
            counts[job.status] = counts.get(job.status, 0) + 1
        return counts

    def count_waiting_slots(self, now: datetime) -> int:
        return sum(1 for j in self.active() for s in j.slots if s.open(now))


class _Carousel:
    def __init__(self, state: _State) -> None:
        self._s = state

    def add(self, item: CarouselItem) -> None:
        self._s.carousel.append(item)

    def latest(self, limit: int) -> list[CarouselItem]:
        return list(reversed(self._s.carousel))[:limit]

    def referenced_keys(self) -> set[str]:
        return {k for i in self._s.carousel for k in (i.xray_key, i.original_key)}

    def delete_all(self) -> int:
        count = len(self._s.carousel)
        self._s.carousel.clear()
        return count

    def remove_jobs(self, job_ids: set[int]) -> int:
        before = len(self._s.carousel)
        self._s.carousel[:] = [i for i in self._s.carousel if i.job_id not in job_ids]
        return before - len(self._s.carousel)


class _Outbox:
    def __init__(self, state: _State) -> None:
        self._s = state

    def add(self, entry: NewEntry) -> int:
        entry_id = self._s.new_id("outbox")
        self._s.outbox[entry_id] = OutboxEntry(
            entry_id,
            entry.kind,
            entry.owner,
            entry.job_id,
            entry.item_id,
            entry.created_at,
            0,
            entry.created_at,
            "",
        )
        return entry_id

    def pending(self, limit: int | None = None) -> list[OutboxEntry]:
        return [self._s.outbox[k] for k in sorted(self._s.outbox)][:limit]

    def save(self, entry: OutboxEntry) -> None:
        if entry.id in self._s.outbox:
            self._s.outbox[entry.id] = entry

    def remove(self, entry_id: int) -> None:
        self._s.outbox.pop(entry_id, None)

    def retry_all(self, now: datetime) -> int:
        for key, entry in self._s.outbox.items():
            self._s.outbox[key] = replace(entry, next_at=min(entry.next_at, now))
        return len(self._s.outbox)

    def take_lease(self, holder: str, until: datetime, now: datetime) -> bool:
        current = self._s.publisher.get("holder")
        expiry = self._s.publisher.get("until")
        if current not in (None, holder) and isinstance(expiry, datetime) and expiry > now:
            return False
        self._s.publisher.update(holder=holder, until=until)
        return True

    def cursor(self) -> int:
        value = self._s.publisher.get("cursor", 0)
        return value if isinstance(value, int) else 0

    def set_cursor(self, value: int) -> None:
        self._s.publisher["cursor"] = value


class _Tombstones:
    def __init__(self, state: _State) -> None:
        self._s = state

    def add(self, owner: str, deleted_at: datetime) -> int:
        record = Deletion(self._s.new_id("tombstone"), owner, deleted_at)
        self._s.tombstones.append(record)
        return record.id

    def latest(self, owner: str) -> datetime | None:
        return max((d.deleted_at for d in self._s.tombstones if d.owner == owner), default=None)

    def after(self, last_id: int, limit: int) -> list[Deletion]:
        return [d for d in self._s.tombstones if d.id > last_id][:limit]

    def delete_before(self, when: datetime) -> int:
        before = len(self._s.tombstones)
        self._s.tombstones[:] = [d for d in self._s.tombstones if d.deleted_at >= when]
        return before - len(self._s.tombstones)


class _Owners:
    def __init__(self, state: _State) -> None:
        self._s = state

    def add_many(self, owners: Sequence[Owner]) -> None:
        for owner in owners:
            self._s.owners[owner.token] = owner

    def get(self, token: str) -> Owner | None:
        return self._s.owners.get(token)

    def by_code(self, code: str) -> Owner | None:
        return next((o for o in self._s.owners.values() if o.code == code), None)

    def for_batch(self, batch_id: int) -> list[Owner]:
        found = [o for o in self._s.owners.values() if o.batch_id == batch_id]
        return sorted(found, key=lambda o: o.position)

    def add_item(self, item: OwnerItem) -> int:
        item_id = self._s.new_id("item")
        self._s.items.append(replace(item, id=item_id))
        return item_id

    def items(self, owner_ref: str | None = None) -> list[OwnerItem]:
        return [i for i in self._s.items if owner_ref is None or i.owner_ref == owner_ref]

    def referenced_keys(self) -> set[str]:
        return {k for i in self._s.items for k in (i.xray_key, i.original_key)}

    def item(self, item_id: int) -> OwnerItem | None:
        return next((i for i in self._s.items if i.id == item_id), None)

    def delete_item(self, item_id: int) -> None:
        self._s.items[:] = [i for i in self._s.items if i.id != item_id]

    def delete_all(self) -> int:
        count = len(self._s.items)
        self._s.items.clear()
        self._s.owners.clear()
        return count

    def delete_empty(self) -> int:
        used = {i.owner_ref for i in self._s.items}
        empty = [t for t, o in self._s.owners.items() if o.batch_id is None and t not in used]
        for token in empty:
            del self._s.owners[token]
        return len(empty)


class _Batches:
    def __init__(self, state: _State) -> None:
        self._s = state

    def add(self, size: int, header: str, created_at: datetime, layout: SheetLayout) -> QRBatch:
        batch_id = self._s.new_id("batch")
        batch = QRBatch(batch_id, size, BatchStatus.RUNNING, 0.0, header, created_at, layout=layout)
        self._s.batches[batch.id] = batch
        return batch

    def get(self, batch_id: int) -> QRBatch | None:
        return self._s.batches.get(batch_id)

    def latest(self) -> QRBatch | None:
        return self._s.batches[max(self._s.batches)] if self._s.batches else None

    def update(self, batch: QRBatch) -> None:
        if batch.id in self._s.batches:
            self._s.batches[batch.id] = batch

    def all(self) -> list[QRBatch]:
        return [self._s.batches[k] for k in sorted(self._s.batches, reverse=True)]

    def delete(self, batch_id: int) -> None:
        self._s.batches.pop(batch_id, None)


class _Workers:
    def __init__(self, state: _State) -> None:
        self._s = state

    def get(self, name: str, *, lock: bool = False) -> WorkerRecord | None:
        return self._s.workers.get(name)

    def add_if_missing(self, record: WorkerRecord) -> None:
        self._s.workers.setdefault(record.name, record)

    def save(self, record: WorkerRecord) -> None:
        if record.name in self._s.workers:
            self._s.workers[record.name] = record

    def all(self) -> list[WorkerRecord]:
        return sorted(self._s.workers.values(), key=lambda r: r.last_seen, reverse=True)

    def held_slots(self, now: datetime) -> dict[str, int]:
        held: dict[str, int] = {}
        for job in self._s.jobs.values():
            if job.status is not JobStatus.ACTIVE:
                continue
            for slot in job.slots:
                if slot.worker is not None and slot.leased(now):
                    held[slot.worker] = held.get(slot.worker, 0) + 1
        return held


class InMemoryUnitOfWork:
    """A unit of work over an :class:`InMemoryStore`."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self._snapshot: _State | None = None
        state = store.state
        self.jobs = _Jobs(state)
        self.carousel = _Carousel(state)
        self.owners = _Owners(state)
        self.batches = _Batches(state)
        self.workers = _Workers(state)
        self.outbox = _Outbox(state)
        self.tombstones = _Tombstones(state)

    def __enter__(self) -> Self:
        self._store.lock.acquire()
        self._snapshot_now()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._snapshot is not None:
                self._restore(self._snapshot)
        finally:
            self._snapshot = None
            self._store.lock.release()

    def commit(self) -> None:
        """Keep the changes made so far."""
        self._snapshot_now()

    def _snapshot_now(self) -> None:
        self._snapshot = _State(
            dict(self._store.state.jobs),
            list(self._store.state.carousel),
            dict(self._store.state.owners),
            list(self._store.state.items),
            dict(self._store.state.batches),
            dict(self._store.state.next_id),
            dict(self._store.state.workers),
            dict(self._store.state.outbox),
            dict(self._store.state.publisher),
            list(self._store.state.tombstones),
        )

    def _restore(self, snap: _State) -> None:
        state = self._store.state
        state.jobs.clear()
        state.jobs.update(snap.jobs)
        state.carousel[:] = snap.carousel
        state.owners.clear()
        state.owners.update(snap.owners)
        state.items[:] = snap.items
        state.batches.clear()
        state.batches.update(snap.batches)
        state.next_id.clear()
        state.next_id.update(snap.next_id)
        state.workers.clear()
        state.workers.update(snap.workers)
        state.outbox.clear()
        state.outbox.update(snap.outbox)
        state.publisher.clear()
        state.publisher.update(snap.publisher)
        state.tombstones[:] = snap.tombstones
