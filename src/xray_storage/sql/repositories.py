"""SQLModel repositories and the unit of work that holds their session.

Claims lock the job row they take: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, while on
SQLite every transaction is ``BEGIN IMMEDIATE`` (see ``engine.py``) and the lock clause is
not rendered. The code path is the same for both.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import (
    CursorResult,
    Engine,
    Executable,
    Row,
    Select,
    Table,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    update,
)
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from xray_core.carousel.model import CarouselItem
from xray_core.errors import BusyError
from xray_core.jobs.model import Job, JobStatus, NewJob
from xray_core.owners.model import Owner, OwnerItem
from xray_core.publishing.model import Deletion, EntryKind, NewEntry, OutboxEntry
from xray_core.qr.model import BatchStatus, QRBatch
from xray_core.qr.sheet import SheetLayout
from xray_core.workers.model import WorkerRecord
from xray_storage.sql import mapping
from xray_storage.sql.tables import (
    BatchRow,
    CarouselRow,
    JobRow,
    OutboxRow,
    OwnerItemRow,
    OwnerRow,
    PublisherRow,
    SlotRow,
    TombstoneRow,
    WorkerRow,
)

PUBLISHER = "portal"
# The job queue's hot statements, built once: building a statement and its cache key costs
# more Python than running it (an ORM-enabled UPDATE per slot was a third of a worker cycle's
# CPU). They are Core statements on the tables, so no ORM instance is made or synchronised:
# rows are mapped to domain jobs directly, and nothing in the session can go stale.
_JOBS: Table = JobRow.__table__  # type: ignore[attr-defined]
_SLOTS: Table = SlotRow.__table__  # type: ignore[attr-defined]
_ACTIVE = JobStatus.ACTIVE.value
_INSERT_JOB = insert(_JOBS)
_INSERT_SLOT = insert(_SLOTS)
_GET_JOB = sa_select(_JOBS).where(_JOBS.c.id == bindparam("job_id"))
_GET_JOB_LOCKED = _GET_JOB.with_for_update()
_SLOTS_OF = sa_select(_SLOTS).where(_SLOTS.c.job_id == bindparam("job_id"))
_ACTIVE_JOBS = sa_select(_JOBS).where(_JOBS.c.status == _ACTIVE).order_by(_JOBS.c.id)
_ACTIVE_SLOTS = (
    sa_select(_SLOTS).join(_JOBS, _JOBS.c.id == _SLOTS.c.job_id).where(_JOBS.c.status == _ACTIVE)
)
_UPDATE_JOB = update(_JOBS).where(_JOBS.c.id == bindparam("b_job"))
_UPDATE_SLOT = update(_SLOTS).where(
    _SLOTS.c.job_id == bindparam("b_job"), _SLOTS.c.idx == bindparam("b_idx")
)
_COUNT_ACTIVE = sa_select(func.count()).select_from(_JOBS).where(_JOBS.c.status == _ACTIVE)
_CLAIMABLE: dict[tuple[bool, bool, bool, bool], Select[Any]] = {}


def _claimable(attempts: bool, before: bool, workflows: bool, shunned: bool) -> Select[Any]:
    """Return the (cached) query of the oldest claimable job with the filters asked for."""
    key = (attempts, before, workflows, shunned)
    if key not in _CLAIMABLE:
        open_slot = sa_select(_SLOTS.c.idx).where(
            _SLOTS.c.job_id == _JOBS.c.id,
            _SLOTS.c.result_key.is_(None),
            or_(_SLOTS.c.leased_until.is_(None), _SLOTS.c.leased_until <= bindparam("now")),
        )
        stmt = sa_select(_JOBS).where(_JOBS.c.status == _ACTIVE, exists(open_slot))
        if attempts:
            stmt = stmt.where(_JOBS.c.attempts < bindparam("max_attempts"))
        if before:
            stmt = stmt.where(_JOBS.c.created_at <= bindparam("before"))
        if workflows:
            stmt = stmt.where(_JOBS.c.workflow.in_(bindparam("workflows", expanding=True)))
        if shunned:  # not the jobs this worker failed lately (ADR 13)
            failed_by_worker = sa_select(_SLOTS.c.idx).where(
                _SLOTS.c.job_id == _JOBS.c.id,
                _SLOTS.c.failed_by == bindparam("shunned_worker"),
                _SLOTS.c.failed_at > bindparam("shunned_since"),
            )
            stmt = stmt.where(~exists(failed_by_worker))
        stmt = stmt.order_by(_JOBS.c.id).limit(1).with_for_update(skip_locked=True)
        _CLAIMABLE[key] = stmt
    return _CLAIMABLE[key]


def _job_fields(job: Job) -> tuple[object, ...]:
    """What :meth:`SqlModelJobRepository.save` writes to a job's own row."""
    return (job.status, job.original_key, job.attempts, job.failures)


class SqlModelJobRepository:
    """Jobs and slots in SQL."""

    def __init__(self, session: Session) -> None:
        self._s = session
        self._read: dict[int, Job] = {}  # as read (or last written) in this transaction

    def _run(self, stmt: Executable, params: Any = None) -> CursorResult[Any]:
        return self._s.connection().execute(stmt, params)

    def add(self, job: NewJob) -> int:
        """Insert a job and its open slots."""
        info = job.info
        inserted = self._run(
            _INSERT_JOB,
            {
                "first_name": info.first_name,
                "last_name": info.last_name,
                "animal_name": info.animal_name,
                "animal_type": info.animal_type,
                "qr_content": info.qr_content,
                "broken_bone": info.broken_bone,
                "original_key": job.original_key,
                "status": _ACTIVE,
                "created_at": job.created_at,
                "workflow": job.workflow,
                "attempts": 0,
                "failures": "[]",
            },
        )
        key = inserted.inserted_primary_key
        assert key is not None  # a single-row INSERT always has one
        job_id = int(key[0])
        self._run(_INSERT_SLOT, [{"job_id": job_id, "idx": i} for i in range(job.slot_count)])
        return job_id

    def get(self, job_id: int, *, lock: bool = False) -> Job | None:
        """Return one job, locking its row if asked."""
        row = self._run(_GET_JOB_LOCKED if lock else _GET_JOB, {"job_id": job_id}).first()
        return None if row is None else self._load(row)

    def next_claimable(
        self,
        now: datetime,
        *,
        max_attempts: int | None = None,
        created_before: datetime | None = None,
        workflows: Collection[str] | None = None,
        shunned_by: tuple[str, datetime] | None = None,
    ) -> Job | None:
        """Return and lock the oldest active job with an open slot (skipping locked ones)."""
        filters = (
            max_attempts is not None,
            created_before is not None,
            workflows is not None,
            shunned_by is not None,
        )
        stmt = _claimable(*filters)
        params: dict[str, Any] = {"now": now}
        if max_attempts is not None:
            params["max_attempts"] = max_attempts
        if created_before is not None:
            params["before"] = created_before
        if workflows is not None:
            params["workflows"] = list(workflows)
        if shunned_by is not None:
            params["shunned_worker"], params["shunned_since"] = shunned_by
        row = self._run(stmt, params).first()
        return None if row is None else self._load(row)

    def active(self) -> list[Job]:
        """Return the active jobs, oldest first, with their slots (two queries in all)."""
        rows = self._run(_ACTIVE_JOBS).all()
        if not rows:
            return []
        by_job: dict[int, list[Row[Any]]] = {}
        for s in self._run(_ACTIVE_SLOTS).all():
            by_job.setdefault(s.job_id, []).append(s)
        return [mapping.job(r, by_job.get(r.id, [])) for r in rows]

    def save(self, job: Job) -> None:
        """Write a job's status, original key and slots: what changed since it was read.

        A claim or a result changes one slot, so it costs one UPDATE instead of one for the
        job and one per slot (a round trip each on PostgreSQL). A job not read in this
        transaction is written whole.
        """
        before = self._read.get(job.id)
        if before is None or _job_fields(before) != _job_fields(job):
            self._run(
                _UPDATE_JOB,
                {
                    "b_job": job.id,
                    "status": job.status.value,
                    "original_key": job.original_key,
                    "attempts": job.attempts,
                    "failures": json.dumps(list(job.failures)),
                },
            )
        was = {} if before is None else {s.index: s for s in before.slots}
        changed = [s for s in job.slots if was.get(s.index) != s]
        self._read[job.id] = job
        if changed:
            self._run(
                _UPDATE_SLOT,
                [
                    {
                        "b_job": job.id,
                        "b_idx": s.index,
                        "lease_id": s.lease_id,
                        "leased_until": s.leased_until,
                        "result_key": s.result_key,
                        "filled_at": s.filled_at,
                        "worker": s.worker,
                        "claimed_at": s.claimed_at,
                        "failed_by": s.failed_by,
                        "failed_at": s.failed_at,
                    }
                    for s in changed
                ],
            )

    def replace_result(self, job_id: int, index: int, expected: str, new: str) -> bool:
        """Swap a slot's result key in one guarded UPDATE (a compare-and-set)."""
        active = exists(
            sa_select(_JOBS.c.id).where(_JOBS.c.id == job_id, _JOBS.c.status == _ACTIVE)
        )
        result = self._run(
            update(_SLOTS)
            .where(
                _SLOTS.c.job_id == job_id,
                _SLOTS.c.idx == index,
                _SLOTS.c.result_key == expected,
                active,
            )
            .values(result_key=new)
        )
        return bool(result.rowcount == 1)

    def referenced_keys(self) -> set[str]:
        """Return the blob keys of every job and slot."""
        originals = self._run(sa_select(_JOBS.c.original_key)).scalars().all()
        results = (
            self._run(sa_select(_SLOTS.c.result_key).where(_SLOTS.c.result_key.is_not(None)))
            .scalars()
            .all()
        )
        return {k for k in (*originals, *results) if k}

    def delete_all(self) -> int:
        """Delete every slot and job."""
        self._s.execute(delete(SlotRow))
        return _count(self._s.execute(delete(JobRow)))

    def count_active(self) -> int:
        """Count the active jobs in one query (the status index answers it)."""
        return int(self._run(_COUNT_ACTIVE).scalar_one())

    def count_by_status(self) -> dict[JobStatus, int]:
        """Count jobs per status in one grouped query."""
        stmt = sa_select(_JOBS.c.status, func.count()).group_by(_JOBS.c.status)
        rows: list[Any] = list(self._run(stmt))
        return {JobStatus(status): int(n) for status, n in rows}

    def count_waiting_slots(self, now: datetime) -> int:
        """Count the open slots of active jobs in one query."""
        stmt = (
            sa_select(func.count())
            .select_from(_SLOTS)
            .join(_JOBS, _JOBS.c.id == _SLOTS.c.job_id)
            .where(
                _JOBS.c.status == _ACTIVE,
                _SLOTS.c.result_key.is_(None),
                or_(_SLOTS.c.leased_until.is_(None), _SLOTS.c.leased_until <= now),
            )
        )
        return int(self._run(stmt).scalar_one())

    def _load(self, row: Row[Any]) -> Job:
        job = mapping.job(row, self._run(_SLOTS_OF, {"job_id": row.id}).all())
        self._read[job.id] = job
        return job


class SqlModelCarouselRepository:
    """Carousel entries in SQL."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, item: CarouselItem) -> None:
        """Insert an entry."""
        self._s.add(
            CarouselRow(
                job_id=item.job_id,
                xray_key=item.xray_key,
                original_key=item.original_key,
                created_at=item.created_at,
            )
        )
        self._s.flush()

    def latest(self, limit: int) -> list[CarouselItem]:
        """Return the newest ``limit`` entries."""
        rows = self._s.exec(select(CarouselRow).order_by(col(CarouselRow.id).desc()).limit(limit))
        return [mapping.carousel_item(r) for r in rows.all()]

    def referenced_keys(self) -> set[str]:
        """Return the blob keys of every entry."""
        rows = self._s.exec(select(CarouselRow.xray_key, CarouselRow.original_key)).all()
        return {k for pair in rows for k in pair}

    def delete_all(self) -> int:
        """Delete every entry."""
        return _count(self._s.execute(delete(CarouselRow)))

    def remove_jobs(self, job_ids: set[int]) -> int:
        """Remove the entries of these jobs."""
        if not job_ids:
            return 0
        result = self._s.execute(delete(CarouselRow).where(col(CarouselRow.job_id).in_(job_ids)))
        return int(getattr(result, "rowcount", 0) or 0)


class SqlModelOutboxRepository:
    """The outbox and the publisher's row in SQL."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, entry: NewEntry) -> int:
        """Insert an entry, due at once."""
        row = OutboxRow(
            kind=entry.kind.value,
            owner=entry.owner,
            job_id=entry.job_id,
            item_id=entry.item_id,
            created_at=entry.created_at,
            next_at=entry.created_at,
        )
        self._s.add(row)
        self._s.flush()
        return int(row.id or 0)

    def pending(self, limit: int | None = None) -> list[OutboxEntry]:
        """Return the entries in id order."""
        stmt = select(OutboxRow).order_by(col(OutboxRow.id))
        if limit is not None:
            stmt = stmt.limit(limit)
        return [_entry(r) for r in self._s.exec(stmt).all()]

    def save(self, entry: OutboxEntry) -> None:
        """Write the attempt bookkeeping."""
        self._s.execute(
            update(OutboxRow)
            .where(col(OutboxRow.id) == entry.id)
            .values(attempts=entry.attempts, next_at=entry.next_at, last_error=entry.last_error)
        )

    def remove(self, entry_id: int) -> None:
        """Delete an entry."""
        self._s.execute(delete(OutboxRow).where(col(OutboxRow.id) == entry_id))

    def retry_all(self, now: datetime) -> int:
        """Make every entry due."""
        self._s.execute(update(OutboxRow).where(col(OutboxRow.next_at) > now).values(next_at=now))
        return int(self._s.exec(select(func.count()).select_from(OutboxRow)).one())

    def take_lease(self, holder: str, until: datetime, now: datetime) -> bool:
        """Take the lease in one guarded UPDATE, making the row on first use."""
        self._publisher_row()
        result = self._s.execute(
            update(PublisherRow)
            .where(
                col(PublisherRow.name) == PUBLISHER,
                or_(
                    col(PublisherRow.holder) == holder,
                    col(PublisherRow.holder) == "",
                    col(PublisherRow.until) <= now,
                ),
            )
            .values(holder=holder, until=until)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    def cursor(self) -> int:
        """Return the deletion cursor."""
        row = self._s.get(PublisherRow, PUBLISHER)
        return 0 if row is None else int(row.cursor)

    def set_cursor(self, value: int) -> None:
        """Write the deletion cursor."""
        self._publisher_row()
        self._s.execute(
            update(PublisherRow).where(col(PublisherRow.name) == PUBLISHER).values(cursor=value)
        )

    def _publisher_row(self) -> None:
        bind = self._s.get_bind()
        dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
        values = {"name": PUBLISHER, "holder": "", "until": datetime.min.replace(tzinfo=UTC)}
        stmt = dialect.insert(PublisherRow).values(cursor=0, **values)
        self._s.execute(stmt.on_conflict_do_nothing(index_elements=["name"]))


def _count(result: object) -> int:
    """Return the rows a DELETE or UPDATE touched."""
    return int(getattr(result, "rowcount", 0) or 0)


def _entry(row: OutboxRow) -> OutboxEntry:
    return OutboxEntry(
        id=int(row.id or 0),
        kind=EntryKind(row.kind),
        owner=row.owner,
        job_id=row.job_id,
        item_id=row.item_id,
        created_at=mapping.aware(row.created_at),
        attempts=row.attempts,
        next_at=mapping.aware(row.next_at),
        last_error=row.last_error,
    )


class SqlModelTombstoneRepository:
    """The portal's deleted owners in SQL."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, owner: str, deleted_at: datetime) -> int:
        """Insert a record."""
        row = TombstoneRow(owner=owner, deleted_at=deleted_at)
        self._s.add(row)
        self._s.flush()
        return int(row.id or 0)

    def latest(self, owner: str) -> datetime | None:
        """Return the owner's last deletion time."""
        value = self._s.exec(
            select(func.max(TombstoneRow.deleted_at)).where(TombstoneRow.owner == owner)
        ).one()
        return None if value is None else mapping.aware(value)

    def after(self, last_id: int, limit: int) -> list[Deletion]:
        """Return the records after ``last_id``."""
        rows = self._s.exec(
            select(TombstoneRow)
            .where(col(TombstoneRow.id) > last_id)
            .order_by(col(TombstoneRow.id))
            .limit(limit)
        ).all()
        return [Deletion(int(r.id or 0), r.owner, mapping.aware(r.deleted_at)) for r in rows]

    def delete_before(self, when: datetime) -> int:
        """Delete old records."""
        result = self._s.execute(delete(TombstoneRow).where(col(TombstoneRow.deleted_at) < when))
        return int(getattr(result, "rowcount", 0) or 0)


class SqlModelOwnerRepository:
    """Owners and their items in SQL."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def add_many(self, owners: Sequence[Owner]) -> None:
        """Insert owners (one multi-row INSERT: a batch holds up to 1000)."""
        if not owners:
            return
        rows = [
            {
                "token": o.token,
                "code": o.code,
                "batch_id": o.batch_id,
                "position": o.position,
                "created_at": o.created_at,
            }
            for o in owners
        ]
        self._s.execute(insert(OwnerRow), rows)

    def get(self, token: str) -> Owner | None:
        """Return the owner of ``token``."""
        row = self._s.get(OwnerRow, token)
        return None if row is None else mapping.owner(row)

    def by_code(self, code: str) -> Owner | None:
        """Return the owner with short code ``code``."""
        row = self._s.exec(select(OwnerRow).where(OwnerRow.code == code).limit(1)).first()
        return None if row is None else mapping.owner(row)

    def for_batch(self, batch_id: int) -> list[Owner]:
        """Return a batch's owners in print order."""
        rows = self._s.exec(
            select(OwnerRow).where(OwnerRow.batch_id == batch_id).order_by(col(OwnerRow.position))
        )
        return [mapping.owner(r) for r in rows.all()]

    def add_item(self, item: OwnerItem) -> int:
        """Insert a confirmed item."""
        row = OwnerItemRow(
            owner_ref=item.owner_ref,
            external=item.external,
            job_id=item.job_id,
            first_name=item.first_name,
            last_name=item.last_name,
            animal_name=item.animal_name,
            animal_type=item.animal_type,
            xray_key=item.xray_key,
            original_key=item.original_key,
            created_at=item.created_at,
        )
        self._s.add(row)
        self._s.flush()
        return int(row.id or 0)

    def items(self, owner_ref: str | None = None) -> list[OwnerItem]:
        """Return the items of one owner reference, or all."""
        stmt = select(OwnerItemRow).order_by(col(OwnerItemRow.id))
        if owner_ref is not None:
            stmt = stmt.where(OwnerItemRow.owner_ref == owner_ref)
        return [mapping.owner_item(r) for r in self._s.exec(stmt).all()]

    def referenced_keys(self) -> set[str]:
        """Return the blob keys of every item."""
        rows = self._s.exec(select(OwnerItemRow.xray_key, OwnerItemRow.original_key)).all()
        return {k for pair in rows for k in pair}

    def item(self, item_id: int) -> OwnerItem | None:
        """Return one item."""
        row = self._s.get(OwnerItemRow, item_id)
        return None if row is None else mapping.owner_item(row)

    def delete_item(self, item_id: int) -> None:
        """Remove one item row."""
        self._s.execute(delete(OwnerItemRow).where(col(OwnerItemRow.id) == item_id))

    def delete_all(self) -> int:
        """Delete every item and owner."""
        count = _count(self._s.execute(delete(OwnerItemRow)))
        self._s.execute(delete(OwnerRow))
        return count

    def delete_empty(self) -> int:
        """Remove the batchless owners without items (one DELETE)."""
        used = select(OwnerItemRow.id).where(OwnerItemRow.owner_ref == OwnerRow.token)
        result = self._s.execute(
            delete(OwnerRow).where(col(OwnerRow.batch_id).is_(None), ~exists(used))
        )
        return int(getattr(result, "rowcount", 0) or 0)


class SqlModelQRBatchRepository:
    """QR batches in SQL."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, size: int, header: str, created_at: datetime, layout: SheetLayout) -> QRBatch:
        """Insert a running batch."""
        row = BatchRow(
            size=size,
            status=BatchStatus.RUNNING.value,
            progress=0.0,
            header=header,
            created_at=created_at,
            layout=layout.kind,
            offset_x_mm=float(layout.offset_x_mm),
            offset_y_mm=float(layout.offset_y_mm),
            start_at=layout.start_at,
        )
        self._s.add(row)
        self._s.flush()
        return mapping.batch(row)

    def get(self, batch_id: int) -> QRBatch | None:
        """Return one batch."""
        row = self._s.get(BatchRow, batch_id)
        return None if row is None else mapping.batch(row)

    def latest(self) -> QRBatch | None:
        """Return the newest batch."""
        row = self._s.exec(select(BatchRow).order_by(col(BatchRow.id).desc()).limit(1)).first()
        return None if row is None else mapping.batch(row)

    def update(self, batch: QRBatch) -> None:
        """Write status, progress and PDF key."""
        self._s.execute(
            update(BatchRow)
            .where(col(BatchRow.id) == batch.id)
            .values(status=batch.status.value, progress=batch.progress, pdf_key=batch.pdf_key)
        )

    def all(self) -> list[QRBatch]:
        """Return every batch, newest first."""
        rows = self._s.exec(select(BatchRow).order_by(col(BatchRow.id).desc())).all()
        return [mapping.batch(r) for r in rows]

    def delete(self, batch_id: int) -> None:
        """Remove a batch row."""
        self._s.execute(delete(BatchRow).where(col(BatchRow.id) == batch_id))


# Every result a worker posts updates its row: prebuilt Core statements, as for the jobs.
_WORKERS: Table = WorkerRow.__table__  # type: ignore[attr-defined]
_GET_WORKER = sa_select(_WORKERS).where(_WORKERS.c.name == bindparam("b_name"))
_GET_WORKER_LOCKED = _GET_WORKER.with_for_update()
_SAVE_WORKER = update(_WORKERS).where(_WORKERS.c.name == bindparam("b_name"))
_ADD_WORKER: dict[str, Executable] = {}


class SqlModelWorkerRepository:
    """The worker registry in SQL."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def get(self, name: str, *, lock: bool = False) -> WorkerRecord | None:
        """Return one worker's record, locking its row if asked."""
        stmt = _GET_WORKER_LOCKED if lock else _GET_WORKER
        row = self._s.connection().execute(stmt, {"b_name": name}).first()
        return None if row is None else mapping.worker(row)

    def add_if_missing(self, record: WorkerRecord) -> None:
        """Insert the record; a row of that name already there (or racing in) wins."""
        connection = self._s.connection()
        dialect = connection.dialect.name
        if dialect not in _ADD_WORKER:
            chosen = postgresql if dialect == "postgresql" else sqlite
            _ADD_WORKER[dialect] = chosen.insert(_WORKERS).on_conflict_do_nothing(
                index_elements=["name"]
            )
        connection.execute(_ADD_WORKER[dialect], mapping.worker_values(record))

    def save(self, record: WorkerRecord) -> None:
        """Overwrite one worker's row."""
        values = mapping.worker_values(record)
        values["b_name"] = values.pop("name")
        self._s.connection().execute(_SAVE_WORKER, values)

    def all(self) -> list[WorkerRecord]:
        """Return every worker, most recently seen first."""
        rows = self._s.exec(select(WorkerRow).order_by(col(WorkerRow.last_seen).desc())).all()
        return [mapping.worker(r) for r in rows]

    def held_slots(self, now: datetime) -> dict[str, int]:
        """Count the live leases per worker name."""
        stmt = (
            select(SlotRow.worker, func.count())
            .join(JobRow, col(JobRow.id) == col(SlotRow.job_id))
            .where(
                col(SlotRow.worker).is_not(None),
                col(SlotRow.result_key).is_(None),
                col(SlotRow.leased_until) > now,
                JobRow.status == JobStatus.ACTIVE.value,
            )
            .group_by(col(SlotRow.worker))
        )
        return {str(name): int(n) for name, n in self._s.exec(stmt).all()}


class SqlModelUnitOfWork:
    """One database transaction (a session) over all repositories."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def __enter__(self) -> Self:
        self._session = self._sessions()
        self.jobs = SqlModelJobRepository(self._session)
        self.carousel = SqlModelCarouselRepository(self._session)
        self.owners = SqlModelOwnerRepository(self._session)
        self.batches = SqlModelQRBatchRepository(self._session)
        self.workers = SqlModelWorkerRepository(self._session)
        self.outbox = SqlModelOutboxRepository(self._session)
        self.tombstones = SqlModelTombstoneRepository(self._session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._session.rollback()
        finally:
            self._session.close()
        if isinstance(exc, OperationalError) and _busy(exc):
            raise BusyError("the database is busy; try again in a moment") from exc

    def commit(self) -> None:
        """Commit the transaction."""
        self._session.commit()


def _busy(exc: OperationalError) -> bool:
    """Whether SQLite gave up waiting for another writer (after its busy timeout)."""
    text = str(exc.orig).lower()
    return "database is locked" in text or "database table is locked" in text


class SqlModelUnitOfWorkFactory:
    """Makes a fresh unit of work (and session) per operation."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, class_=Session, expire_on_commit=False)

    def __call__(self) -> SqlModelUnitOfWork:
        """Return a new unit of work."""
        return SqlModelUnitOfWork(self._sessions)
