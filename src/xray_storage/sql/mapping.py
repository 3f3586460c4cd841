"""Rows <-> domain objects."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Row

from xray_core.carousel.model import CarouselItem
from xray_core.errors import InvalidInputError
from xray_core.jobs.model import Job, JobInfo, JobStatus, Slot
from xray_core.owners.model import Owner, OwnerItem
from xray_core.qr.model import BatchStatus, QRBatch
from xray_core.qr.sheet import SheetKind, SheetLayout
from xray_core.workers.model import WorkerRecord
from xray_storage.sql.tables import (
    BatchRow,
    CarouselRow,
    JobRow,
    OwnerItemRow,
    OwnerRow,
    SlotRow,
    WorkerRow,
)


def aware(value: datetime) -> datetime:
    """Return ``value`` in UTC; SQLite hands back naive datetimes of what we stored in UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _maybe(value: datetime | None) -> datetime | None:
    return None if value is None else aware(value)


def job(row: JobRow | Row[Any], slots: Sequence[SlotRow | Row[Any]]) -> Job:
    """Return the domain job of a row and its slot rows (ORM rows or Core rows of the tables)."""
    info = JobInfo(
        first_name=row.first_name,
        last_name=row.last_name,
        animal_name=row.animal_name,
        animal_type=row.animal_type,
        qr_content=row.qr_content,
        broken_bone=row.broken_bone,
    )
    return Job(
        id=int(row.id or 0),
        info=info,
        original_key=row.original_key,
        created_at=aware(row.created_at),
        status=JobStatus(row.status),
        slots=tuple(slot(s) for s in sorted(slots, key=lambda s: s.idx)),
        workflow=row.workflow or "",
        attempts=row.attempts or 0,
        failures=tuple(str(r) for r in json.loads(row.failures or "[]")),
    )


def slot(row: SlotRow | Row[Any]) -> Slot:
    """Return the domain slot of a row."""
    return Slot(
        index=row.idx,
        lease_id=row.lease_id,
        leased_until=_maybe(row.leased_until),
        result_key=row.result_key,
        filled_at=_maybe(row.filled_at),
        worker=row.worker,
        claimed_at=_maybe(row.claimed_at),
        failed_by=row.failed_by,
        failed_at=_maybe(row.failed_at),
    )


def carousel_item(row: CarouselRow) -> CarouselItem:
    """Return the domain carousel item of a row."""
    return CarouselItem(row.job_id, row.xray_key, row.original_key, aware(row.created_at))


def owner(row: OwnerRow) -> Owner:
    """Return the domain owner of a row."""
    return Owner(row.token, row.code, row.batch_id, row.position, aware(row.created_at))


def owner_item(row: OwnerItemRow) -> OwnerItem:
    """Return the domain owner item of a row."""
    return OwnerItem(
        id=int(row.id or 0),
        owner_ref=row.owner_ref,
        external=row.external,
        job_id=row.job_id,
        first_name=row.first_name,
        last_name=row.last_name,
        animal_name=row.animal_name,
        animal_type=row.animal_type,
        xray_key=row.xray_key,
        original_key=row.original_key,
        created_at=aware(row.created_at),
    )


def batch(row: BatchRow) -> QRBatch:
    """Return the domain QR batch of a row."""
    return QRBatch(
        id=int(row.id or 0),
        size=row.size,
        status=BatchStatus(row.status),
        progress=row.progress,
        header=row.header,
        created_at=aware(row.created_at),
        pdf_key=row.pdf_key,
        layout=batch_layout(row),
    )


def batch_layout(row: BatchRow) -> SheetLayout | None:
    """Return the stored sheet layout of a batch; None if it has none (or one unknown now)."""
    if row.layout is None:
        return None
    try:
        return SheetLayout(
            kind=cast("SheetKind", row.layout),
            offset_x_mm=row.offset_x_mm or 0.0,
            offset_y_mm=row.offset_y_mm or 0.0,
            start_at=row.start_at or 1,
        )
    except InvalidInputError:
        return None


def worker(row: WorkerRow | Row[Any]) -> WorkerRecord:
    """Return the domain worker record of a row."""
    return WorkerRecord(
        name=row.name,
        first_seen=aware(row.first_seen),
        last_seen=aware(row.last_seen),
        address=row.address,
        user_agent=row.user_agent,
        info=row.info,
        results=row.results,
        failures=row.failures,
        durations=tuple(float(d) for d in json.loads(row.durations or "[]")),
    )


def worker_values(record: WorkerRecord) -> dict[str, object]:
    """Return the column values of a worker record."""
    return {
        "name": record.name,
        "address": record.address,
        "user_agent": record.user_agent,
        "info": record.info,
        "first_seen": record.first_seen,
        "last_seen": record.last_seen,
        "results": record.results,
        "failures": record.failures,
        "durations": json.dumps([round(d, 3) for d in record.durations]),
    }
